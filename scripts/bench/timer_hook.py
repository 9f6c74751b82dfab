"""A MkDocs hooks file, used by the benchmark only (build.py names it in the config it writes):
times the engine's phases (kb.build's check, render and write) inside the real `kb` plugin, and
on shutdown writes the totals as JSON to the file named by $KB_BENCH_TIMES."""
from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import Any

from kb import build

_times = {"check": 0.0, "render": 0.0, "write": 0.0}
_marks: dict[str, float] = {}


def _timed(name: str) -> Callable[..., Any]:
    inner = getattr(build, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            _times[name] += time.perf_counter() - t0

    wrapper.__wrapped_kb__ = True  # type: ignore[attr-defined]
    return wrapper


if not getattr(build.check, "__wrapped_kb__", False):
    for _name in _times:
        setattr(build, _name, _timed(_name))


def on_startup(command: str, dirty: bool) -> None:
    _marks["startup"] = time.perf_counter()


def on_shutdown() -> None:
    _marks["shutdown"] = time.perf_counter()
    with open(os.environ["KB_BENCH_TIMES"], "w", encoding="utf-8") as fh:
        json.dump({**_times, **_marks}, fh)
