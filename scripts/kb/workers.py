"""Run independent jobs on every core: the pages of a build render in forked worker processes.

`map_ordered(task, n, jobs)` returns [task(0), ..., task(n - 1)] in that order, whatever process
ran each, so the output is the same as a one-process run. Workers are forked, so they start with
the parent's state (the model, the templates) and nothing but results crosses between processes.
A log record a worker emits (a warning, say) is handed back and emitted again in the parent, where
MkDocs counts it (a strict build still fails on it). Where forking is unavailable, with one job, or
for a handful of jobs, everything runs in this process.
"""
from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import pickle
import signal
from collections.abc import Callable
from typing import Any

MIN_PER_WORKER = 50  # unless asked for, fewer jobs than this per process are not worth a fork
CHUNKS_PER_WORKER = 16  # jobs are handed out in this many chunks per process, so that the last one is short

_task: Callable[[int], Any] | None = None  # what the forked workers run (set before the fork)


def jobs_wanted(setting: int | None = None) -> int:
    """How many processes: the setting, else $KB_JOBS, else every core this process may use."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return _asked(setting) or cores


def _asked(setting: int | None) -> int:
    env = os.environ.get("KB_JOBS", "")
    return max(1, setting) if setting else int(env) if env.isdigit() and int(env) > 0 else 0


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def worker_count(n: int, jobs: int | None = None) -> int:
    """How many processes n jobs get: as many as asked for (`jobs`, $KB_JOBS), else one per core
    but no more than n jobs are worth."""
    asked = _asked(jobs)
    return max(1, min(asked, n)) if asked else min(jobs_wanted(), max(1, n // MIN_PER_WORKER))


def map_ordered(task: Callable[[int], Any], n: int, jobs: int | None = None) -> list[Any]:
    global _task
    jobs = worker_count(n, jobs)
    if jobs <= 1 or not can_fork():
        return [task(i) for i in range(n)]
    # several chunks per worker, taken as each finishes one: pages differ in cost (a compound's page
    # against a method's), and with a few large chunks one process still worked long after the other
    # was done (at 10,000 claims, 1.1 s of the engine's 10 s)
    step = -(-n // (jobs * CHUNKS_PER_WORKER))
    chunks = [(start, min(n, start + step)) for start in range(0, n, step)]
    _task = task
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            parts = pool.map(_run_chunk, chunks, chunksize=1)
    finally:
        _task = None
    results: list[Any] = []
    for part, records in parts:
        _emit(records)
        results += part
    return results


def _emit(records: list[logging.LogRecord]) -> None:
    """Log records a forked process kept, emitted here (where MkDocs counts the warnings)."""
    for record in records:
        logging.getLogger(record.name).handle(record)


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        record.msg, record.args = record.getMessage(), None  # a message that survives pickling
        record.exc_info = None
        self.records.append(record)


def _run_chunk(bounds: tuple[int, int]) -> tuple[list[Any], list[logging.LogRecord]]:
    """In a worker: run the task over a range, keeping its log records for the parent instead of
    printing them (they are emitted there, in order)."""
    assert _task is not None
    task = _task
    return _logs_kept(lambda: [task(i) for i in range(*bounds)])


class Beside:
    """`Beside(task)` runs task() from now on in a forked process beside this one, while this one
    goes on: `result()` waits for it and returns what task() returned (pickled back), or None if it
    failed (the caller then does the work itself). Its log records are emitted here by result(),
    as a pool worker's are. `abandon()` stops it (a build that fails before it is needed). Only
    where forking is available (`can_fork`)."""

    def __init__(self, task: Callable[[], Any]) -> None:
        read, write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # pragma: no cover - the forked process (coverage does not follow it)
            os.close(read)
            code = 1
            try:
                data = pickle.dumps(_logs_kept(task))
                with os.fdopen(write, "wb") as out:
                    out.write(data)
                code = 0
            finally:
                os._exit(code)  # nothing of this process's own exit (MkDocs', pytest's) runs twice
        os.close(write)
        self.read: int | None = read

    def result(self) -> Any:
        if self.read is None:
            return None
        with os.fdopen(self.read, "rb") as fh:
            data = fh.read()
        self.read = None
        _, status = os.waitpid(self.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0 or not data:
            return None
        made, records = pickle.loads(data)
        _emit(records)
        return made

    def abandon(self) -> None:
        if self.read is None:
            return
        with contextlib.suppress(OSError):  # (ended already)
            os.kill(self.pid, signal.SIGKILL)
        os.close(self.read)
        self.read = None
        os.waitpid(self.pid, 0)


def _logs_kept(task: Callable[[], Any]) -> tuple[Any, list[logging.LogRecord]]:
    """task()'s result and its log records, kept instead of printed."""
    root = logging.getLogger()
    keep, handlers, propagate = _Keep(), list(root.handlers), {}
    for h in handlers:
        root.removeHandler(h)
    root.addHandler(keep)
    mkdocs = logging.getLogger("mkdocs")  # MkDocs' own handlers, the strict-mode counter among them
    saved = list(mkdocs.handlers)
    for h in saved:
        mkdocs.removeHandler(h)
    propagate["mkdocs"] = mkdocs.propagate
    mkdocs.propagate = True
    try:
        return task(), keep.records
    finally:
        root.removeHandler(keep)
        for h in handlers:
            root.addHandler(h)
        for h in saved:
            mkdocs.addHandler(h)
        mkdocs.propagate = propagate["mkdocs"]
