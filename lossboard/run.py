"""A run as the training script holds it: log() appends to a buffer and returns at once."""

from __future__ import annotations

import contextlib
import warnings
from collections import deque
from collections.abc import Mapping
from time import perf_counter
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:  # the sender (and orjson) load with init() online or offline, not here
    from lossboard.sender import Entry, Sender

MAX_SERIES = 1000  # the server's limit per run
MAX_NAME = 128
MAX_QUEUE = 200_000  # log() calls waiting for the sender thread; more are dropped, counted


class Unsent(NamedTuple):
    """How many logged points wait to be sent, in memory and on disk."""

    memory: int
    disk: int


class Config(dict[str, Any]):
    """The run's config: a dict whose keys read as attributes too (`config.lr`), as in W&B."""

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key: str, value: Any) -> None:
        self[key] = value


class Run:
    """One run: `log` points, read `should_stop`, then `finish` (or use it in `with`)."""

    def __init__(
        self,
        run_id: int | None,
        url: str | None,
        config: Mapping[str, Any] | None,
        sender: Sender | None,
        last_steps: Mapping[str, int] | None = None,
    ) -> None:
        self.id, self.url = run_id, url
        self.config = Config(config or {})
        self.summary: dict[str, float] = {}  # each series' last value logged here
        self._last: dict[str, int] = dict(last_steps or {})  # each series' last step
        self._next = max(self._last.values(), default=-1) + 1  # the default step
        self._bad: set[str] = set()
        self._warned: set[str] = set()
        self._t0 = perf_counter()
        self._sender = sender
        self._queue: deque[Entry] = sender.queue if sender else deque(maxlen=0)
        self._dropped = 0  # points log() refused: over the queue's bound
        self._enqueued = 0  # points log() queued (only the logging thread writes it)
        self._ended: int | None = None  # undelivered points, once finished

    def log(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        """Record each metric at `step` (default: one past the last step logged). Never
        raises nor waits: what the server would refuse is dropped with one warning."""
        try:
            self._log(metrics, self._next if step is None else step)
        except Exception as exc:  # a bad argument must not end a training run
            self._warn(type(exc).__name__, f"lossboard dropped a log() call: {exc!r}")

    def _log(self, metrics: Mapping[str, Any], step: int) -> None:
        if type(step) is not int or step < 0:
            step = self._step(step)
        last, summary, values = self._last, self.summary, {}
        for name, value in metrics.items():
            prev = last.get(name)
            if prev is None:
                if not self._admit(name, step):
                    continue
            elif prev >= step:
                self._warn(name, f"step going backwards in series {name!r}: {step} after {prev}")
                continue
            if type(value) is not float and (value := self._number(name, value)) is None:
                continue
            last[name] = step
            summary[name] = values[name] = value
        if step >= self._next:
            self._next = step + 1
        if values:
            if len(self._queue) < MAX_QUEUE or self._sender is None:
                self._queue.append((step, perf_counter() - self._t0, values))
                self._enqueued += len(values)
            else:
                self._dropped += len(values)
                self._warn("queue", "lossboard's buffer is full: dropping points")

    def _step(self, step: Any) -> int:
        """A step as an int >= 0 (numpy and torch integers too), else ValueError."""
        if isinstance(step, bool) or not hasattr(step, "__index__") or step.__index__() < 0:
            raise ValueError(f"step must be an int >= 0, not {step!r}")
        return int(step.__index__())

    def _admit(self, name: Any, step: int) -> bool:
        """Whether a new series may be logged: a good name, and room for it."""
        if name in self._bad:
            return False
        problem = name_problem(name) or (len(self._last) >= MAX_SERIES and "too many series")
        if problem:
            self._bad.add(name)
            self._warn(str(name), f"lossboard dropped series {name!r}: {problem}")
            return False
        return True

    def _number(self, name: str, value: Any) -> float | None:
        """A value as a float (ints, bools, numpy and 0-d torch values), else None (warned)."""
        if not isinstance(value, (str, bytes)) and hasattr(value, "__float__"):
            try:
                return float(value)
            except (TypeError, ValueError):  # a tensor of many values, say
                pass
        self._warn(f"{name}:value", f"lossboard dropped {name!r}: not a number: {value!r:.80}")
        return None

    def _warn(self, key: str, message: str) -> None:
        """Warn once for each series or kind of problem."""
        if key in self._warned:
            return
        self._warned.add(key)
        with contextlib.suppress(Exception):  # -W error makes warnings raise; log() must not
            warnings.warn(message, RuntimeWarning, stacklevel=4)

    @property
    def unsent(self) -> Unsent:
        """Points logged and not yet stored by the server: in memory, and spooled on disk."""
        sender = self._sender
        if sender is None:
            return Unsent(0, 0)
        queued = self._enqueued - sender.dequeued
        memory = queued + sender.undelivered - sender.spooled_points - sender.refused
        return Unsent(memory, sender.spooled_points)

    @property
    def should_stop(self) -> bool:
        """Someone cancelled this run (on its page or through the API): stop and finish."""
        return self._sender is not None and self._sender.should_stop

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is None:
            self.finish()
        elif issubclass(kind, KeyboardInterrupt):
            self.finish(status="cancelled", error="interrupted from the keyboard (Ctrl-C)")
        else:
            self.finish(status="failed", error=f"{kind.__name__}: {exc}")

    def finish(
        self, status: str | None = None, error: str | None = None, timeout: float = 30.0
    ) -> int:
        """Wait (at most `timeout` s) for the server to store every point, then end the run as
        `status` (default: cancelled once should_stop, else completed); return how many
        points could not be delivered (and warn if any)."""
        status = status or ("cancelled" if self.should_stop else "completed")
        if self._ended is None:
            self._ended = self._end(status, error, timeout) + self._dropped
        return self._ended

    def _end(self, status: str, error: str | None, timeout: float) -> int:
        """Overridden by each mode's run."""
        return 0


def name_problem(name: Any) -> str | None:
    """Why the server would refuse a series name, or None."""
    if not isinstance(name, str):
        return f"a series name is a string, not {type(name).__name__}"
    if not 1 <= len(name) <= MAX_NAME:
        return f"a series name has 1 to {MAX_NAME} characters"
    if not name.isprintable():
        return "a series name holds only printable characters"
    return None
