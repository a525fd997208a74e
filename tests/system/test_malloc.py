"""glibc's malloc kept from holding finished runs' memory: the served process makes at most
two arenas however many threads allocate, and a finished run's memory is trimmed."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from server.system.malloc import Trimmer, glibc

pytestmark = pytest.mark.skipif(glibc() is None, reason="glibc's malloc only")

# Eight threads allocate at once (each object over 512 bytes: malloc, not Python's own
# allocator); then the process counts its arenas' heaps, each 64 MiB-aligned and anonymous.
ARENAS_SCRIPT = textwrap.dedent("""
    import sys, threading
    from server.system.malloc import cap_arenas
    if sys.argv[1] == "capped":
        assert cap_arenas()
    barrier = threading.Barrier(8)
    def allocate():
        barrier.wait()
        kept = [bytes(2000 + i) for i in range(2000)]
        barrier.wait()
    threads = [threading.Thread(target=allocate) for _ in range(8)]
    for t in threads: t.start()
    for t in threads: t.join()
    heaps = 0
    for line in open("/proc/self/maps"):
        fields = line.split()
        start = int(fields[0].split("-")[0], 16)
        if len(fields) == 5 and fields[1] == "rw-p" and start % (64 << 20) == 0:
            heaps += 1
    print(heaps)
""")


def arena_heaps(mode: str) -> int:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": "."}  # no MALLOC_ARENA_MAX from outside
    out = subprocess.run(
        [sys.executable, "-c", ARENAS_SCRIPT, mode], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    return int(out.stdout)


def test_a_capped_process_makes_one_thread_arena_however_many_threads_allocate():
    assert arena_heaps("capped") <= 1  # the main arena is the heap; one more beside it
    assert arena_heaps("default") >= 4  # glibc's own cap: eight per CPU


def test_the_cap_leaves_an_operators_malloc_arena_max_alone(monkeypatch):
    from server.system.malloc import cap_arenas

    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert cap_arenas() is False


def test_trims_come_at_most_once_per_interval():
    trim = Trimmer(every_s=3600)
    assert trim() is True
    assert [trim(), trim()] == [False, False]
    assert trim.trims == 1
    again = Trimmer(every_s=0)
    assert [again(), again()] == [True, True]
