"""`lossboard variants`: one table per tutorial."""

from __future__ import annotations

from tests.cli.support import lossboard


def test_variants_groups_by_tutorial(server):
    result = lossboard(server, "variants")
    assert result.returncode == 0, result.stderr
    two_layer = result.stdout.index("two-layer network")
    poly = result.stdout.index("polynomial fit")
    assert two_layer < result.stdout.index(" dynamic ") < poly
    assert poly < result.stdout.index("poly_dynamic") and "points=2000" in result.stdout
    assert "30,000" in result.stdout
