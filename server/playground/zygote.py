"""The zygote: a process with torch warm that forks one limited child per snippet.

Run as `python -m server.playground.zygote FD CONFIG`, FD being a SOCK_SEQPACKET socket to
the server. Messages from the server are a JSON header line, then for "eval" the code; an eval
message carries the write end of a pipe on which the child answers and the zygote then adds
the child's exit status. Children are forked ahead of need (so a fork is not on the request's
path) but each runs one snippet only and never sees another's memory.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import resource
import select
import signal
import socket
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from server.playground.errors import Refusal
from server.playground.interpreter import run_snippet
from server.playground.wire import write_frame

MAX_MESSAGE = 1 << 18  # above the server's largest snippet (MAX_CODE_BYTES) plus its header

WARM_UP = """
import torch
import numpy as np
x = torch.randn(4, 4)
z = x.view(-1, 8).transpose(1, 0)
a = np.ones(5)
b = torch.from_numpy(a)
w = torch.tensor(2., requires_grad=True)
(w * 3).backward()
print(x + 1, a)
x
z
b
"""


@dataclass(frozen=True)
class Limits:
    """Resource limits applied to each child."""

    memory_bytes: int
    cpu_seconds: int
    open_files: int = 64


def apply_limits(limits: Limits) -> None:
    """Limit address space, CPU time, open files; forbid writing files and core dumps."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a file write then fails instead of killing
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))


def answer(source: str) -> dict[str, Any]:
    """Run a snippet and describe the outcome as a status with outputs or a detail."""
    try:
        return {"status": 200, **run_snippet(source)}
    except Refusal as refusal:
        return refusal.to_answer()
    except MemoryError:
        return {"status": 422, "detail": "out of memory while preparing the answer"}
    except Exception as error:  # a bug in trusted code: say so instead of hanging up
        return {"status": 500, "detail": f"playground error: {type(error).__name__}: {error}"}


def warm_up() -> None:
    """Keep torch on one thread and run the tutorial's kinds of ops once, before any fork."""
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    answer(WARM_UP)
    np.random.seed(0)
    gc.collect()
    gc.freeze()  # the children then leave the warm heap's pages shared
    threads = len(os.listdir("/proc/self/task")) if os.path.isdir("/proc/self/task") else 1
    if threads > 1:
        print(f"playground zygote: {threads} threads before forking", file=sys.stderr)


class Zygote:
    """Keeps single-use children forked ahead, hands each one snippet, reports how it ended."""

    def __init__(self, control: socket.socket, limits: Limits, spares: int) -> None:
        self.control = control
        self.limits = limits
        self.target = spares
        self.spares: dict[int, socket.socket] = {}  # pid -> socket it waits on, oldest first
        self.children: dict[int, tuple[int, int]] = {}  # pid -> (request id, answer fd)
        self.wake_read, self.wake_write = os.pipe()
        os.set_blocking(self.wake_read, False)
        os.set_blocking(self.wake_write, False)
        self.devnull = os.open(os.devnull, os.O_RDWR)

    def serve(self) -> None:
        """Answer the server's messages until it says quit or goes away."""
        signal.set_wakeup_fd(self.wake_write, warn_on_full_buffer=False)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        try:
            self.control.send(b'{"ready": true}')
        except ConnectionError:  # the server stopped while we warmed up: nothing to serve
            return
        watched: list[socket.socket | int] = [self.control, self.wake_read]
        while True:
            # Messages first; spares are forked only while no message waits.
            idle = None if len(self.spares) >= self.target else 0
            readable, _, _ = select.select(watched, [], [], idle)
            if self.wake_read in readable:
                self.reap()
            if self.control in readable and not self.receive():
                break
            if not readable:
                self.fork_spare()
        for pid in [*self.children, *self.spares]:
            self.kill(pid)

    def receive(self) -> bool:
        """Handle one message; False when the server is gone or said quit."""
        try:
            data, fds, _, _ = socket.recv_fds(self.control, MAX_MESSAGE, 1)
        except ConnectionError:  # it closed with our "ready" unread: its quit is lost
            return False
        if not data:
            return False
        line, _, code = data.partition(b"\n")
        header = json.loads(line)
        if header["op"] == "eval" and fds:
            self.dispatch(header["id"], code, fds[0])
        elif header["op"] == "kill":
            for pid, (request, _) in list(self.children.items()):
                if request == header["id"]:
                    self.kill(pid)
        return header["op"] != "quit"

    def dispatch(self, request: int, code: bytes, fd: int) -> None:
        """Hand a snippet and its answer pipe to a waiting spare (forked now if none waits)."""
        try:
            if not self.spares:
                self.fork_spare()
            pid, waiting = next(iter(self.spares.items()))
            del self.spares[pid]
            with waiting:
                socket.send_fds(waiting, [code], [fd])
        except OSError as error:
            self.report(fd, {"result": {"status": 503, "detail": f"cannot start: {error}"}})
            return
        self.children[pid] = (request, fd)

    def fork_spare(self) -> None:
        """Fork a child that applies its limits, then waits for exactly one snippet."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:
            ours.close()
            self.child(theirs)
        theirs.close()
        self.spares[pid] = ours

    def child(self, waiting: socket.socket) -> None:
        """In the child: drop the zygote's ends, apply limits, run one snippet, answer, exit."""
        status = 1
        try:
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            self.control.close()
            for other in self.spares.values():
                other.close()
            for fd in (self.wake_read, self.wake_write, *(f for _, f in self.children.values())):
                os.close(fd)
            os.dup2(self.devnull, 1)
            os.dup2(self.devnull, 2)
            reseed()
            apply_limits(self.limits)
            code, fds, _, _ = socket.recv_fds(waiting, MAX_MESSAGE, 1)
            if fds:
                write_frame(fds[0], {"result": answer(code.decode("utf-8", "replace"))})
            status = 0
        finally:
            os._exit(status)

    def kill(self, pid: int) -> None:
        """Kill a child that is still ours (not yet reaped, so its pid cannot be reused)."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)

    def reap(self) -> None:
        """Collect finished children and tell the server how each one ended."""
        with contextlib.suppress(BlockingIOError):
            while os.read(self.wake_read, 512):
                pass
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in self.spares:
                self.spares.pop(pid).close()
            elif pid in self.children:
                _, fd = self.children.pop(pid)
                self.report(fd, {"exit": os.waitstatus_to_exitcode(status)})

    def report(self, fd: int, message: dict[str, Any]) -> None:
        """Write a last frame on an answer pipe without ever blocking, then close it."""
        try:
            os.set_blocking(fd, False)
            write_frame(fd, message)
        except OSError:
            pass  # the server stopped listening: it timed out or went away
        finally:
            os.close(fd)


def reseed() -> None:
    """Give each child its own random numbers; forked children would all share the zygote's."""
    torch.seed()
    np.random.seed()


def main() -> None:
    """Entry point: warm up, then serve the socket passed by the server."""
    control = socket.socket(fileno=int(sys.argv[1]))
    config = json.loads(sys.argv[2])
    spares = config.pop("spares")
    os.nice(config.pop("nice"))  # before any fork: every snippet's process inherits it
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server decides when we stop
    warm_up()
    Zygote(control, Limits(**config), spares).serve()


if __name__ == "__main__":
    main()
