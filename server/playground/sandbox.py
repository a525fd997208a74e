"""The server's side of the playground: a warm zygote and at most `workers` snippets at once."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from server.playground import workdirs
from server.playground.errors import PlaygroundError
from server.playground.wire import HOST_CUDA_ENV, FrameReader

__all__ = ["PlaygroundError", "SandboxPool"]

MAX_ANSWER_BYTES = 32 * 1024 * 1024
MAX_CODE_BYTES = 100_000  # a snippet travels as one socket message, which the kernel caps
START_TIMEOUT_S = 120.0
CPU_SIGNALS = (signal.SIGXCPU, signal.SIGKILL)
# How much lower the sandbox's CPU priority is than the server's: training runs come first
# (back-to-back snippets took a concurrent run from 569 to 52 it/s at the same priority).
SANDBOX_NICE = 10
# What a snippet's process may inherit of the server's environment: where Python and its
# libraries are, and the locale; a snippet that reads os.environ finds no secret there.
ALLOWED_ENV = frozenset(
    {"PATH", "HOME", "LANG", "LANGUAGE", "TZ", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV",
     "LD_LIBRARY_PATH"}
)  # fmt: skip


class Zygote:
    """A running zygote process and the socket to it."""

    def __init__(self, workdir: Path, limits: dict[str, int]) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        command = [sys.executable, "-m", "server.playground.zygote", str(theirs.fileno())]
        self.process = subprocess.Popen(
            [*command, json.dumps(limits)],
            pass_fds=[theirs.fileno()],
            cwd=workdir,
            env=_zygote_env(workdir),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl+C in the terminal is the server's to handle
        )
        theirs.close()
        self.socket = ours
        self.lock = threading.Lock()
        self.ready = False

    def wait_ready(self, timeout_s: float) -> None:
        """Block until the zygote has torch warm, or raise RuntimeError."""
        self.socket.settimeout(timeout_s)
        try:
            ready = self.socket.recv(64)
        except (TimeoutError, OSError) as error:
            raise RuntimeError(f"the playground zygote did not start: {error}") from None
        finally:
            self.socket.settimeout(None)
        if not ready:
            raise RuntimeError("the playground zygote exited while starting")
        self.ready = True

    def alive(self) -> bool:
        """Tell whether the zygote process still runs."""
        return self.process.poll() is None

    def send(self, header: dict[str, Any], body: bytes = b"", fd: int | None = None) -> None:
        """Send one message, with a file descriptor attached when given."""
        data = json.dumps(header).encode() + b"\n" + body
        with self.lock:
            socket.send_fds(self.socket, [data], [] if fd is None else [fd])

    def close(self) -> None:
        """Ask the zygote to stop (it kills its children), then make sure it did."""
        with contextlib.suppress(OSError):
            self.send({"op": "quit"})
        self.socket.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def host_cuda_devices() -> int:
    """How many CUDA GPUs the server (not the sandbox) sees."""
    import torch  # only when asked: the sandbox pool itself never needs torch in the server

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def _zygote_env(workdir: Path) -> dict[str, str]:
    """The zygote's environment: only ALLOWED_ENV of the server's (never its token, Ray's or
    any other secret), one thread, no GPU, temp files in its own directory."""
    one = "1"
    kept = {k: v for k, v in os.environ.items() if k in ALLOWED_ENV or k.startswith("LC_")}
    return kept | {
        "OMP_NUM_THREADS": one,  # OpenMP threads started before a fork hang the child
        "MKL_NUM_THREADS": one,
        "OPENBLAS_NUM_THREADS": one,
        "CUDA_VISIBLE_DEVICES": "",  # GPU memory is outside RLIMIT_AS; CUDA cannot fork
        # ... but `torch.cuda.is_available()` still tells the truth about this machine
        HOST_CUDA_ENV: str(host_cuda_devices()),
        "TMPDIR": str(workdir),
        "PYTHONDONTWRITEBYTECODE": one,
    }


class SandboxPool:
    """Evaluates snippets in fresh forked processes with memory, CPU and wall-clock limits."""

    def __init__(
        self,
        *,
        workers: int = 2,
        timeout_s: float = 5.0,
        memory_bytes: int = 2 * 1024**3,
        cpu_seconds: int = 10,
        max_code_bytes: int = 20_000,
        nice: int = SANDBOX_NICE,
    ) -> None:
        if not 0 < max_code_bytes <= MAX_CODE_BYTES:
            raise ValueError(f"max_code_bytes must be between 1 and {MAX_CODE_BYTES:,}")
        self.workers = workers
        self.timeout_s = timeout_s
        self.max_code_bytes = max_code_bytes
        self.limits = {"memory_bytes": memory_bytes, "cpu_seconds": cpu_seconds, "spares": workers,
                       "nice": nice}  # fmt: skip
        self._slots = threading.BoundedSemaphore(workers)
        self._busy = 0
        self._busy_lock = threading.Lock()
        self._lock = threading.Lock()  # guards starting, restarting and closing the zygote
        self._ids = itertools.count(1)
        self._zygote: Zygote | None = None
        self._workdir: Path | None = None

    @property
    def busy(self) -> int:
        """How many snippets are running now."""
        return self._busy

    @property
    def zygote_pid(self) -> int | None:
        """The zygote's process id, None before start."""
        return None if self._zygote is None else self._zygote.process.pid

    @property
    def zygote_alive(self) -> bool:
        """Tell whether the zygote runs; a dead one is replaced on the next request."""
        return self._zygote is not None and self._zygote.alive()

    @property
    def workdir(self) -> Path:
        """The empty directory the sandbox processes run in."""
        if self._workdir is None:
            raise RuntimeError("the sandbox pool is not started")
        return self._workdir

    def start(self, *, wait: bool = True, prestart: bool = True) -> None:
        """Make the working directory and start the zygote; with `wait`, until torch is warm.

        Without `prestart` the zygote starts on the first request instead.
        """
        with self._lock:
            if self._workdir is None:
                self._workdir = workdirs.create()
            if self._zygote is None and prestart:
                self._zygote = Zygote(self.workdir, self.limits)
            if wait and self._zygote is not None:
                self._wait_ready(self._zygote)

    def close(self) -> None:
        """Stop the zygote and its children and remove the working directory."""
        with self._lock:
            if self._zygote is not None:
                self._zygote.close()
                self._zygote = None
            if self._workdir is not None:
                shutil.rmtree(self._workdir, ignore_errors=True)
                self._workdir = None

    def __enter__(self) -> SandboxPool:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def evaluate(self, code: str) -> dict[str, Any]:
        """Run a snippet; return outputs, stdout and elapsed_ms, or raise PlaygroundError."""
        started = time.perf_counter()
        body = self._encode(code)
        if not self._slots.acquire(blocking=False):
            raise PlaygroundError(429, f"all {self.workers} playground evaluators are busy")
        try:
            with self._busy_lock:
                self._busy += 1
            answer = self._run(body)
        finally:
            with self._busy_lock:
                self._busy -= 1
            self._slots.release()
        answer["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 3)
        return answer

    def _encode(self, code: str) -> bytes:
        """The snippet as UTF-8, refused when over the size limit (413) or not text (400)."""
        try:
            body = code.encode("utf-8")
        except UnicodeEncodeError as error:
            detail = {"error": f"the code is not valid text: {error.reason}", "line": 0, "col": 0}
            raise PlaygroundError(400, detail) from None
        if len(body) > self.max_code_bytes:
            limit = self.max_code_bytes
            raise PlaygroundError(413, f"the code is {len(body):,} bytes; the limit is {limit:,}")
        return body

    def _wait_ready(self, zygote: Zygote) -> Zygote:
        """Wait (lock held) until the zygote has torch warm; forget it if it cannot start."""
        if not zygote.ready:
            try:
                zygote.wait_ready(START_TIMEOUT_S)
            except RuntimeError:
                zygote.close()
                self._zygote = None
                raise
        return zygote

    def _live_zygote(self) -> Zygote:
        """The zygote, (re)started first if it died or could not start last time."""
        with self._lock:
            if self._workdir is None:
                raise PlaygroundError(503, "the playground is not started")
            if self._zygote is not None and not self._zygote.alive():
                self._zygote.close()
                self._zygote = None
            if self._zygote is None:
                self._zygote = Zygote(self.workdir, self.limits)
            try:
                return self._wait_ready(self._zygote)
            except RuntimeError as error:
                raise PlaygroundError(503, f"the playground cannot start: {error}") from None

    def _run(self, body: bytes) -> dict[str, Any]:
        """Hand a snippet to the zygote with a fresh answer pipe and wait for the answer."""
        request = next(self._ids)
        read_fd, write_fd = os.pipe()
        try:
            try:
                zygote = self._send(request, body, write_fd)
            finally:
                os.close(write_fd)  # the child holds its own copy now
            return self._collect(zygote, request, read_fd)
        finally:
            os.close(read_fd)

    def _send(self, request: int, body: bytes, fd: int) -> Zygote:
        """Send an eval message; a zygote found dead is replaced once."""
        header = {"op": "eval", "id": request}
        zygote = self._live_zygote()
        try:
            zygote.send(header, body, fd)
        except OSError:  # it died just now: once more, on a fresh one
            zygote = self._live_zygote()
            try:
                zygote.send(header, body, fd)
            except OSError:
                raise PlaygroundError(503, "the playground is restarting; try again") from None
        return zygote

    def _collect(self, zygote: Zygote, request: int, fd: int) -> dict[str, Any]:
        """Read frames until the child's answer or its exit; kill it at the deadline."""
        deadline = time.monotonic() + self.timeout_s
        reader = FrameReader()
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        while (remaining := deadline - time.monotonic()) > 0:
            if not poller.poll(remaining * 1000):
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise PlaygroundError(503, "the playground lost the evaluation; try again")
            if reader.received > MAX_ANSWER_BYTES:
                self._kill(zygote, request)
                raise PlaygroundError(422, "the answer is over the playground's output limit")
            for frame in reader.feed(chunk):
                if "result" in frame:
                    return _answer(frame["result"])
                if "exit" in frame:
                    raise _died(frame["exit"])
        self._kill(zygote, request)
        raise PlaygroundError(408, f"time limit: the snippet ran over {self.timeout_s:g} s")

    def _kill(self, zygote: Zygote, request: int) -> None:
        """Ask the zygote to kill a request's child, if both are still there."""
        with contextlib.suppress(OSError):  # the zygote is gone; the next request restarts it
            zygote.send({"op": "kill", "id": request})


def _answer(result: Any) -> dict[str, Any]:
    """Turn a child's answer into a response, or raise its refusal."""
    if not isinstance(result, dict) or not isinstance(result.get("status"), int):
        raise PlaygroundError(500, "the playground sent a malformed answer")
    if result["status"] != 200:
        raise PlaygroundError(result["status"], result.get("detail"))
    return {"outputs": result.get("outputs", []), "stdout": result.get("stdout", "")}


def _died(exit_code: Any) -> PlaygroundError:
    """Explain a child that exited without answering."""
    if isinstance(exit_code, int) and -exit_code in CPU_SIGNALS:
        return PlaygroundError(408, "time limit: the snippet used up its CPU time")
    name = _signal_name(-exit_code) if isinstance(exit_code, int) and exit_code < 0 else None
    how = f"was killed by {name}" if name else f"exited with {exit_code}"
    return PlaygroundError(422, f"the evaluation {how}, most likely over the memory limit")


def _signal_name(number: int) -> str:
    """A signal's name, such as SIGSEGV."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
