// Numbers as people read them: the one place the pages format losses, rates, counts and times.

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });

const missing = (value) => value === null || value === undefined || Number.isNaN(value);

// Loss: exponent form when big or tiny (1.234e7), else 4 significant digits.
export function fmtLoss(value) {
  if (missing(value)) return "—";
  if (value !== 0 && (Math.abs(value) >= 1e4 || Math.abs(value) < 1e-3)) {
    const [mantissa, exponent] = value.toExponential(3).split("e");
    return `${mantissa}e${Number(exponent)}`;
  }
  return String(Number(value.toPrecision(4)));
}

export function fmtInt(value) {
  return missing(value) ? "—" : integer.format(value);
}

// Iteration counts: exact below 100,000, then 250.3K, 1M.
export function fmtCount(value) {
  return value < 100_000 ? integer.format(value) : compact.format(value);
}

// Iterations a second: 12,346 from 100 up, else 3 significant digits.
export function fmtRate(value) {
  if (missing(value)) return "—";
  return value >= 100 ? integer.format(value) : String(Number(value.toPrecision(3)));
}

export function fmtSeconds(seconds) {
  if (missing(seconds) || seconds < 0) return "—";
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  const s = Math.floor(seconds % 60);
  return m < 60 ? `${m} min ${s} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

// A value as a field holds it to be edited: every digit it has, in exponent form when tiny or
// big (1e-6, 2.5e-4, 0.9), so that reading it back gives the same number.
export function fmtExact(value) {
  if (missing(value)) return "";
  const big = value !== 0 && (Math.abs(value) >= 1e4 || Math.abs(value) < 1e-3);
  return big ? value.toExponential().replace("e+", "e") : String(value);
}

// A swept value: integers whole, other numbers short (1e-5, 3.16e-4, 0.25), names as they are.
export function fmtParam(value) {
  if (typeof value !== "number") return missing(value) ? "—" : String(value);
  if (Number.isInteger(value) && Math.abs(value) < 1e9) return String(value);
  if (value !== 0 && (Math.abs(value) >= 1e4 || Math.abs(value) < 1e-3)) {
    const [mantissa, exponent] = value.toExponential(2).split("e");
    return `${Number(mantissa)}e${Number(exponent)}`;
  }
  return String(Number(value.toPrecision(3)));
}

// A learned coefficient: 4 significant digits, exponent form when tiny or big (-2.751e-4).
export function fmtCoef(value) {
  if (missing(value)) return "—";
  if (value !== 0 && (Math.abs(value) >= 1e4 || Math.abs(value) < 1e-3)) {
    const [mantissa, exponent] = value.toExponential(3).split("e");
    return `${Number(mantissa)}e${Number(exponent)}`;
  }
  return String(Number(value.toPrecision(4)));
}
