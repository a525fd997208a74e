"""Request and response models of the HTTP API (field names are docs/api.md's contract)."""

from __future__ import annotations

import math
import unicodedata
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from server.protocol import MAX_INTEGER, RunSource, RunStatus
from server.training.spec import RunSpec
from server.training.sweep_spec import SweepSpec
from server.training.sweeps import SweepStatus


class RunCreate(RunSpec):
    """POST /api/runs: a variant and, optionally, anything the tutorial fixes."""


class WorkerPublic(BaseModel):
    """Where a run trained, and with how many threads (its losses depend on them)."""

    executor: str
    node: str
    host: str
    device: str
    threads: int
    blas_threads: int | None


class QueuePlace(BaseModel):
    """Where a queued run waits: its lane (a device locally; cpu or cuda under Ray), and how
    many runs queued before it wait there too."""

    lane: str
    ahead: int


class HyperEvent(BaseModel):
    """A hyperparameter changed while the run trained: from the update after `step`'s loss on."""

    step: int
    field: str
    old: float | None
    new: float
    time: float  # when it took effect (Unix time)


class CheckpointPublic(BaseModel):
    """A run's last checkpoint: the step it resumes at, its size, and its write."""

    step: int
    bytes: int
    seconds: float  # how long writing it took
    at: float  # when it was written (Unix time)


class RunPublic(BaseModel):
    """A run as every reader sees it."""

    id: int
    variant: str | None  # null for a run a script logged (source "sdk")
    name: str | None
    config: dict
    device: str | None  # null for a run a script logged
    status: RunStatus
    iteration: int
    last_loss: float | None
    best_loss: float | None
    iterations_per_second: float | None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    worker: WorkerPublic | None = None  # where it trains; null while queued
    sweep_id: int | None = None  # the sweep it belongs to
    sweep_params: dict[str, Any] | None = None  # the swept values of its sweep's point
    notes: str = ""
    tags: list[str] = []
    request: dict[str, Any] | None = None  # the RunCreate as submitted: device as asked
    queue: QueuePlace | None = None  # while queued
    rerun_of: int | None = None  # the run it was run again from ("Run again", "Edit and run")
    source: RunSource = "job"  # "job": the server trained it; "sdk": a script logged it
    primary: str = "loss"  # the series best_loss, last_loss and the runs table follow
    # the most memory its process held (locally the server's RSS) and torch allocated on its
    # CUDA device, from the system sampler; null when nothing was sampled
    peak_rss_bytes: int | None = None
    cuda_peak_bytes: int | None = None
    # its live hyperparameter changes, in order, and its last checkpoint (null without one)
    events: list[HyperEvent] = []
    checkpoint: CheckpointPublic | None = None


def plain_tag(tag: str) -> str:
    """A tag is a short label: no commas (lists of tags are comma-separated) nor control
    characters."""
    if "," in tag or any(unicodedata.category(c) == "Cc" for c in tag):
        raise ValueError("a tag holds no commas nor control characters")
    return tag


Tag = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=40),
    AfterValidator(plain_tag),
]


class RunPatch(BaseModel):
    """PATCH /api/runs/{id}: what a user says of a run; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=200, description='null or "" for none')
    notes: str = Field("", max_length=10_000, description="free text, lines and all")
    tags: list[Tag] = Field([], max_length=20, description="1-40 characters each, no commas")

    def changes(self) -> dict[str, Any]:
        """The fields given, tidied: a blank name as none, each tag once."""
        given = self.model_dump(exclude_unset=True)
        if "name" in given:
            given["name"] = (given["name"] or "").strip() or None
        if "tags" in given:
            given["tags"] = list(dict.fromkeys(given["tags"]))
        return given


class RunRerun(BaseModel):
    """POST /api/runs/{id}/rerun: optionally, a seed in place of the one the run had."""

    model_config = ConfigDict(extra="forbid")

    seed: int | None = Field(None, ge=0, le=MAX_INTEGER, description="null for a fresh one")


class RunStep(BaseModel):
    """POST /api/runs/{id}/step: run `n` more iterations of a paused run, then pause again."""

    model_config = ConfigDict(extra="forbid")

    n: int = Field(1, ge=1, le=MAX_INTEGER, strict=True, description="iterations to run")


def finite_number(value: object) -> bool:
    """An int or float (not a bool) that is finite."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class RunHyper(BaseModel):
    """PATCH /api/runs/{id}/hyper: hyperparameters to change from the run's next step boundary
    (a paused run: from the step it resumes at)."""

    # other fields: a plugin's hyperparameters, as its variant's `hyper` names them
    model_config = ConfigDict(
        extra="allow", json_schema_extra={"examples": [{"learning_rate": 1e-5}]}
    )

    learning_rate: float | None = Field(
        None, gt=0, allow_inf_nan=False, strict=True, description="a positive number"
    )
    momentum: float | None = Field(
        None, ge=0, lt=1, allow_inf_nan=False, strict=True,
        description="SGD's momentum, for the dynamic and poly_dynamic variants",
    )  # fmt: skip

    def changes(self) -> dict[str, float]:
        """The fields given, with their values (at least one: checked on validation)."""
        return {k: float(v) for k, v in self.model_dump(exclude_none=True).items()}

    @model_validator(mode="after")
    def _one_at_least(self) -> RunHyper:
        wrong = [(k, v) for k, v in (self.model_extra or {}).items() if not finite_number(v)]
        if wrong:
            raise ValidationError.from_exception_data("RunHyper", [
                {"type": PydanticCustomError("float_type", "a hyperparameter is a finite number"),
                 "loc": (name,), "input": value} for name, value in wrong])  # fmt: skip
        if not self.changes():
            raise ValueError("give learning_rate or momentum")
        return self


class RunResumed(BaseModel):
    """What POST /resume and /step answer: the run, queued again, and where it goes on from."""

    run: RunPublic
    step: int  # the step it computes first: its checkpoint's, or 0 without one
    checkpoint: bool  # whether it goes on from a checkpoint (else it starts again from 0)
    message: str


class RunHyperAnswer(BaseModel):
    """What PATCH /hyper answers: the run, and the changes it takes at its next step boundary
    (a paused run's are among its events already)."""

    run: RunPublic
    changes: dict[str, float]


class RunsPublic(BaseModel):
    """One page of runs, newest first, and how many match in all."""

    runs: list[RunPublic]
    total: int


class SweepCreate(SweepSpec):
    """POST /api/sweeps: variants crossed with a grid or random samples of some fields, x seeds."""


class SweepBest(BaseModel):
    """A sweep with a study: its best trial's first run, score and point. Otherwise the run
    with the lowest best-so-far loss, of those that neither diverged nor failed."""

    run_id: int
    loss: float
    params: dict[str, Any]  # its sweep_params


class SweepPublic(BaseModel):
    """A sweep as every reader sees it."""

    id: int
    name: str | None
    status: SweepStatus
    spec: dict[str, Any]  # normalised: `variants` a list, the seed in `base`
    run_ids: list[int]
    counts: dict[RunStatus, int]  # its runs per status, every status present
    best: SweepBest | None
    created_at: datetime
    seed: int  # the base seed: repeat k of every point runs with seed + k


class TrialPublic(BaseModel):
    """One point of a study: `value` its score (a pruned one's last report)."""

    number: int
    state: Literal["running", "complete", "pruned", "fail", "waiting"]
    value: float | None
    params: dict[str, Any]
    run_ids: list[int]
    diverged: int  # its runs that diverged, each scored its first loss
    last_step: int | None  # its last report to the pruner
    best_so_far: float | None


class StudyPublic(BaseModel):
    """A searching or pruned sweep's Optuna study."""

    objective: Literal["final", "best", "mean_last"]
    k: int | None
    pruner: str
    trials: list[TrialPublic]
    importance: dict[str, float] | None  # PED-ANOVA; null before 3 points completed
    importance_evaluator: str


class SweepsPublic(BaseModel):
    """One page of sweeps, newest first, and how many there are in all."""

    sweeps: list[SweepPublic]
    total: int


class LossesPublic(BaseModel):
    """A page of the losses after a step, as parallel arrays (maybe thinned to max_points)."""

    run_id: int
    step: list[int]
    loss: list[float]
    time: list[float]
    decimated: bool
    next_after: int | None  # the `after` of the next page; null when none is stored yet


class ExportRow(BaseModel):
    step: int
    loss: float
    time: float


class RunExport(BaseModel):
    """A run's JSON download: the run, then every loss."""

    run: RunPublic
    rows: list[ExportRow]


class DevicePublic(BaseModel):
    id: str
    kind: str
    name: str
    memory_total: int | None = None
    # the system sampler's latest: percent busy, and memory in use (the machine's for the CPU);
    # null when sampling is off or the device has no such figure
    utilization: float | None = None
    memory_used: int | None = None


class NodePublic(BaseModel):
    """One node of the Ray cluster."""

    id: str
    host: str
    alive: bool
    cpus: int
    gpus: int
    gpu_names: list[str]
    # its use now, from the system samples of the runs training there: the machine's CPU
    # percent and its GPU runs' mean GPU utilisation; null while no run trains there
    cpu_percent: float | None = None
    gpu_util: float | None = None


class ClusterPublic(BaseModel):
    address: str
    reachable: bool
    nodes: list[NodePublic]


class SystemPublic(BaseModel):
    version: str
    python: str
    torch: str
    numpy: str
    cuda_available: bool
    devices: list[DevicePublic]
    default_device: str
    auth_required: bool
    executor: str  # where runs train: "local" or "ray"
    cluster: ClusterPublic | None  # the Ray cluster; null for the local executor
    queued: dict[str, int]  # runs waiting, per lane: a device id locally, cpu or cuda under Ray
    system_every_s: float  # the system sampler's interval; 0: sampling is off
    # plugins left out: each {"source", "error", "traceback"}
    variant_failures: list[dict[str, str]] = []


class DeviceHistoryPublic(BaseModel):
    """One device's samples, parallel to SystemSamplesPublic.time (null: not read then)."""

    utilization: list[float | None]  # percent
    memory_used: list[int | None]  # bytes (the machine's for the CPU)
    memory_total: int | None


class SystemSamplesPublic(BaseModel):
    """The system sampler's last few minutes, as columns; empty while sampling is off."""

    every_s: float  # 0: sampling is off
    time: list[float]  # each sample's Unix time, oldest first
    devices: dict[str, DeviceHistoryPublic]  # by device id: "cpu", "cuda:0"...


class VariantPublic(BaseModel):
    id: str
    title: str
    section: str  # the section's title in its tutorial
    tutorial: str  # "two-layer network" or "polynomial fit"
    in_translation: bool  # one of the six sections the Chinese translation has
    description: str  # the official script it follows, and its commit
    devices: list[str]
    defaults: dict
    fields: list[str]  # the RunCreate fields it accepts
    params: list[str]  # the parameters its `params` messages carry (a fit's); [] for none
    fit: str | None  # the curve they give: "cubic", "legendre" or "quintic"
    source: str
    origin: str  # where it came from: "tutorial", or the package (module) that declares it
    fields_schema: dict  # the JSON schema of its own fields (all but device, iterations, seed)


class ParamsPublic(BaseModel):
    """A fit's parameters at the stored steps after `after`, in order."""

    run_id: int
    step: list[int]
    params: list[dict[str, float]]
    next_after: int | None  # the `after` of the next page; null when none is stored yet


class PlaygroundEval(BaseModel):
    """A snippet to evaluate, like one notebook cell."""

    code: str


class PlaygroundOutput(BaseModel):
    """One top-level expression's value: the snippet's `Out[n]`."""

    line: int
    source: str
    value: dict[str, Any]


class SnippetError(BaseModel):
    """What the playground refused or the snippet raised, and where in its source."""

    error: str
    line: int
    col: int


class SnippetRefusal(BaseModel):
    """A 400 of the playground: a SnippetError, or a string for a body that is not JSON."""

    detail: SnippetError | str


class PlaygroundResult(BaseModel):
    """Every output of a snippet, what it printed, and how long it took."""

    outputs: list[PlaygroundOutput]
    stdout: str
    elapsed_ms: float


def sweep_public(sweep: dict) -> dict:
    """A sweep dict (from Sweeps) as SweepPublic's JSON."""
    return SweepPublic.model_validate(sweep).model_dump(mode="json")


def run_public(run: dict) -> dict:
    """A run dict (from the manager or the store) as RunPublic's JSON."""
    return RunPublic.model_validate(run).model_dump(mode="json")
