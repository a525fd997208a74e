"""The browser pages: the dashboard, a run's live chart, runs compared, the playground.

Each page carries what the server already knows as a JSON data block (`page_data`), which its
JS reads instead of asking the API again.
"""

from __future__ import annotations

from typing import Annotated, get_args

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from starlette.responses import RedirectResponse, Response

from server.system import live
from server.training import registry
from server.training.manager import RunManager
from server.training.spec import catalog
from server.training.steering import SERIES
from server.training.sweep_spec import SWEEP_METHODS
from server.training.sweeps import SweepStatus
from server.training.variants.models import load_snippet, model_filename
from server.web.cookie import clear_cookie, session_of
from server.web.deps import ManagerDep, RequireSameOrigin, RunId, SettingsDep, SweepId, SweepsDep
from server.web.rendering import render
from server.web.schemas import ClusterPublic, DevicePublic, run_public, sweep_public

MAX_COMPARED = 24
HISTORY_POINTS = 2000  # the points of a chart's first history page: static/js/feed.js asks so
RUNS_SHOWN = 50  # the dashboard's list: the newest runs, then those created while it is open
SWEEPS_SHOWN = 5  # the dashboard's recent sweeps
FORM_VARIANT = "autograd"  # the form's first choice when it is registered: the tutorial's core
MAX_ID_DIGITS = 18
GROUPS = ("", "config")  # compare: every run, or runs that differ only in seed as one band
BANDS = ("minmax", "std")  # any 18-digit id fits SQLite's 64-bit integers
router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False, tags=["pages"])


def form_variants() -> list[dict]:
    """The registry's variants as the run form needs them: without their source."""
    return [{k: v for k, v in entry.items() if k != "source"} for entry in catalog()]


# "Edit and run": /?from=ID fills the run form with run ID's request, its name as it is now
FromRun = Annotated[int | None, Query(alias="from", ge=0, le=2**63 - 1)]


def edited_request(manager: RunManager, run_id: int | None) -> dict | None:
    """The request of the run the form is to repeat with changes, with its id; None if none."""
    run = None if run_id is None else manager.reads.get(run_id)
    if run is None:
        return None
    # the seed it ran with, as "Run again" keeps it; its name as it is now
    edits = {"seed": run["config"]["seed"], "name": run["name"], "rerun_of": run_id}
    return {**run["request"], **edits}


@router.get("/")
def dashboard_page(
    request: Request,
    manager: ManagerDep,
    sweeps: SweepsDep,
    settings: SettingsDep,
    from_run: FromRun = None,
) -> Response:
    rows, total = manager.reads.list_runs(limit=RUNS_SHOWN)
    recent = [sweep_public(sweep) for sweep in sweeps.list_sweeps(limit=SWEEPS_SHOWN)[0]]
    variants = form_variants()
    ids = [v["id"] for v in variants]
    data = {
        "runs": [run_public(run) for run in rows],
        "total": total,
        "limit": RUNS_SHOWN,
        "variants": variants,
        "form_variant": FORM_VARIANT if FORM_VARIANT in ids else ids[0],
        "devices": [DevicePublic(**d.as_dict()).model_dump() for d in manager.devices],
        "max_sweep_runs": sweeps.max_runs,  # the form's sweep preview says when it is over
        "form_request": edited_request(manager, from_run),
        "system_samples": live.history(request.app.state.sampler),  # the Devices card's start
        **cluster_data(manager),
    }
    context = {"variants": variants, "executor": data["executor"], "sweeps": recent,
               "devices": data["devices"], "system_every_s": settings.system_every_s}  # fmt: skip
    return render(request, "dashboard.html", context, data=data)


def cluster_data(manager: RunManager) -> dict:
    """The executor, its Ray cluster (None locally) and its waiting runs, as /api/system says."""
    cluster = manager.executor.cluster()
    return {
        "executor": manager.executor.name,
        "cluster": None if cluster is None else ClusterPublic(**cluster).model_dump(),
        "queued": manager.reads.queued(),
    }


@router.get("/runs/{run_id}")
def run_page(request: Request, run_id: RunId, manager: ManagerDep) -> Response:
    run = manager.reads.get(run_id)
    if run is None:
        message = f"There is no run {run_id}: it may have been deleted."
        return render(request, "error.html", {"title": "Run not found", "message": message}, 404)
    run = run_public(run)
    variant = registry.variant(run["variant"]).public() if run["variant"] else None  # a script's
    reruns = [r["id"] for r in manager.reads.list_runs(rerun_of=run_id, sort="id", limit=20)[0]]
    context = {"run": run, "variant": variant, "history_points": HISTORY_POINTS, "reruns": reruns}
    hyper = hyper_series(run)
    steer = {"hyper": hyper, "model": model_code(run), "model_file": model_filename(run_id)}
    names = [entry["name"] for entry in manager.reads.series_list(run_id) or []]
    data = {"run": run, "series": names, "hyper": hyper, "model_step": model_step(manager, run)}
    return render(request, "run.html", {**context, **steer}, data=data)


def hyper_series(run: dict) -> dict[str, str]:
    """The hyperparameters a job run changes live, each with the series its values go in."""
    if run["source"] != "job" or run["variant"] is None:
        return {}
    return {field: SERIES.get(field, field) for field in registry.variant(run["variant"]).hyper}


def model_code(run: dict) -> str | None:
    """The lines that load the run's downloaded model into its variant's code; None without."""
    if run["variant"] is None:
        return None
    try:
        return load_snippet(run["variant"], run["config"], model_filename(run["id"]))
    except KeyError:  # a variant from a plugin: lossboard does not know its model's code
        return None


def model_step(manager: RunManager, run: dict) -> int | None:
    """The step whose loss the run's model gave: its final one's, else its last checkpoint's."""
    final = manager.checkpoints.model(run["id"])
    if final is not None:
        return final[0]
    return run["checkpoint"]["step"] if run["checkpoint"] else None


@router.get("/compare")
def compare_page(
    request: Request,
    manager: ManagerDep,
    ids: str = "",
    group: str = "",
    band: str = "minmax",
    series: str = "loss",
) -> Response:
    wanted = compared_ids(ids)
    if wanted is None:
        message = f"'ids' should be run ids separated by commas (at most {MAX_COMPARED})."
        return render(request, "error.html", {"title": "Bad run list", "message": message}, 400)
    if group not in GROUPS or band not in BANDS:
        message = "'group' should be empty or 'config', and 'band' 'minmax' or 'std'."
        return render(request, "error.html", {"title": "Bad grouping", "message": message}, 400)
    found = {i: manager.reads.get(i) for i in wanted}
    runs = [run_public(run) for run in found.values() if run is not None]
    missing = [i for i, run in found.items() if run is None]
    shown = ",".join(str(run["id"]) for run in runs)
    names = series_names(manager, runs)
    if series not in names:
        message = f"None of these runs has a series {series!r}; they have {', '.join(names)}."
        return render(request, "error.html", {"title": "No such series", "message": message}, 404)
    context = {"runs": runs, "missing": missing, "group": group, "band": band, "ids": shown,
               "series_names": names, "series": series}  # fmt: skip
    context["config_rows"] = config_rows(runs)
    data = {"runs": runs, "group": group, "band": band, "series": series}
    return render(request, "compare.html", context, data=data)


@router.get("/sweeps")
def sweeps_page(request: Request) -> Response:
    """Every sweep, paged, sorted and filtered in the page (its view in the query string)."""
    choices = {"statuses": get_args(SweepStatus), "methods": SWEEP_METHODS}
    return render(request, "sweeps.html", choices)


@router.get("/sweeps/{sweep_id}")
def sweep_page(
    request: Request, sweep_id: SweepId, manager: ManagerDep, sweeps: SweepsDep
) -> Response:
    """A sweep's curves, outcome against each parameter and points, kept live by its socket."""
    sweep = sweeps.get(sweep_id)
    if sweep is None:
        message = f"There is no sweep {sweep_id}: it may have been deleted."
        return render(request, "error.html", {"title": "Sweep not found", "message": message}, 404)
    sweep = sweep_public(sweep)
    rows, _ = manager.reads.list_runs(sweep_id=sweep_id, limit=max(len(sweep["run_ids"]), 1))
    runs = sorted((run_public(run) for run in rows), key=lambda run: run["id"])
    return render(request, "sweep.html", {"sweep": sweep}, data={"sweep": sweep, "runs": runs})


@router.get("/playground")
def playground_page(request: Request) -> Response:
    """The tensor playground: the tutorial's cells in an editor, evaluated by the API."""
    return render(request, "playground.html", {"live_indicator": False})


@router.post("/logout", dependencies=[RequireSameOrigin])
def logout(request: Request, settings: SettingsDep) -> Response:
    """End the session and forget its cookie; the dashboard then asks for the token again."""
    request.app.state.sessions.end(session_of(request, settings))
    response = RedirectResponse("/", status_code=303)
    clear_cookie(response, request, settings)
    return response


def compared_ids(text: str) -> list[int] | None:
    """'3,1,3' -> [3, 1]; None when it is not a short list of ids."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if len(parts) > MAX_COMPARED or not all(p.isascii() and p.isdigit() for p in parts):
        return None
    if any(len(p) > MAX_ID_DIGITS for p in parts):
        return None
    return list(dict.fromkeys(int(p) for p in parts))


def series_names(manager: RunManager, runs: list[dict]) -> list[str]:
    """Every series any of the runs holds, loss first: what compare can overlay."""
    names = {entry["name"] for run in runs for entry in manager.reads.series_list(run["id"]) or []}
    return ["loss", *sorted(names - {"loss"})]


def config_rows(runs: list[dict]) -> list[dict]:
    """Each config field of the runs compared: its value in each run, and whether they all agree."""
    fields = dict.fromkeys(["variant", *(key for run in runs for key in run["config"])])
    rows = []
    for field in fields:
        values = [run["config"].get(field, run.get(field)) for run in runs]
        rows.append({"field": field, "values": values, "same": all(v == values[0] for v in values)})
    return rows
