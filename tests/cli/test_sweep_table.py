"""The sweep table without a server: runs grouped into points, progress merged, losses summed up."""

from __future__ import annotations

import io

from rich.console import Console

from server.cli.sweep_table import SweepView, spread


def run(run_id: int, lr: float, status: str = "completed", step: int = 10, loss=0.5) -> dict:
    """A RunPublic with just what the table reads."""
    return {
        "id": run_id,
        "status": status,
        "iteration": step,
        "config": {"iterations": 10},
        "last_loss": loss,
        "best_loss": loss,
        "sweep_params": {"learning_rate": lr},
    }


SWEEP = {"id": 3, "name": "lr", "status": "running", "counts": {}, "run_ids": [], "best": None}


def text(view: SweepView, live: bool) -> str:
    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(view.table(live=live))
    return console.file.getvalue()


def test_view_groups_the_seeds_of_a_point():
    view = SweepView(SWEEP, [run(1, 1e-5), run(2, 1e-4), run(3, 1e-5), run(4, 1e-4)])
    assert [p.run_ids for p in view.points.values()] == [[1, 3], [2, 4]]


def test_view_takes_newer_progress():
    view = SweepView(SWEEP, [run(1, 1e-5, "running", step=2)])
    view.apply({"type": "progress", "runs": [{"id": 1, "status": "running", "step": 7}]})
    assert view.runs[1]["step"] == 7


def test_view_ignores_progress_older_than_a_finished_run():
    view = SweepView(SWEEP, [run(1, 1e-5, "completed", step=10)])
    view.apply({"type": "progress", "runs": [{"id": 1, "status": "running", "step": 10}]})
    assert view.runs[1]["status"] == "completed"


def test_view_ignores_progress_of_runs_it_never_read():
    view = SweepView(SWEEP, [run(1, 1e-5)])
    view.apply({"type": "progress", "runs": [{"id": 9, "status": "running", "step": 1}]})
    assert list(view.runs) == [1]


def test_view_takes_the_sweep_message():
    view = SweepView(SWEEP, [run(1, 1e-5)])
    view.apply({"type": "sweep", "sweep": {**SWEEP, "status": "completed"}})
    assert view.sweep["status"] == "completed"


def test_spread_is_the_mean_and_population_std_across_seeds():
    runs = [{"status": "completed", "loss": 1.0}, {"status": "completed", "loss": 3.0}]
    assert spread(runs, "loss") == "2 ± 1"


def test_spread_leaves_out_diverged_runs():
    runs = [{"status": "completed", "loss": 1.0}, {"status": "diverged", "loss": 1e30}]
    assert spread(runs, "loss") == "1"


def test_live_table_has_a_progress_bar_of_every_seeds_steps():
    view = SweepView(SWEEP, [run(1, 1e-5, "running", step=3), run(2, 1e-5, "queued", step=0)])
    assert "3/20" in text(view, live=True)


def test_table_marks_the_best_point():
    best = {"run_id": 2, "loss": 0.25, "params": {"learning_rate": 1e-4}}
    view = SweepView({**SWEEP, "best": best}, [run(1, 1e-5), run(2, 1e-4, loss=0.25)])
    row = next(line for line in text(view, live=False).splitlines() if "0.0001" in line)
    assert row.lstrip("│ ").startswith("★")
    assert "★ best: run 2, loss 0.25 (learning_rate=0.0001)" in text(view, live=False)


def test_table_escapes_control_characters_in_the_sweep_name():
    view = SweepView({**SWEEP, "name": "evil\x1b[2Jname"}, [run(1, 1e-5)])
    assert "evil\\x1b[2Jname" in text(view, live=False)
