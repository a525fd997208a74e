"""Numbers as the pages show them: losses, rates and iteration counts."""

from __future__ import annotations


def format_loss(value: float | None) -> str:
    """1.2e7 -> '1.200e7', 0.25 -> '0.25': as the pages' JS writes it."""
    if value is None:
        return "—"
    if value != 0 and not 1e-3 <= abs(value) < 1e4:
        mantissa, exponent = f"{value:.3e}".split("e")
        return f"{mantissa}e{int(exponent)}"
    return f"{value:.4g}"


def format_rate(value: float | None) -> str:
    """Iterations a second: 12345.6 -> '12,346'."""
    if value is None:
        return "—"
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def format_count(n: int) -> str:
    """Iteration counts: exact below 100,000, then '250.3K', '1M'."""
    if n < 100_000:
        return f"{n:,}"
    units = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")]
    for i, (size, suffix) in enumerate(units):
        value = round(n / size, 1)
        if value >= 1:
            if value >= 1000 and i > 0:
                size, suffix = units[i - 1]
                value = round(n / size, 1)
            return f"{value:g}{suffix}"
    return str(n)
