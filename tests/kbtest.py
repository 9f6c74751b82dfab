"""Shared helpers for the tests: the repository, fixture knowledge bases, and problems."""
from __future__ import annotations

import shutil
from pathlib import Path

from kb import build
from kb.problems import Problem, ValidationFailed

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
TINY = FIXTURES / "tiny"
ERRORS = FIXTURES / "errors"


def make_kb(dest: Path, overlay: Path | None = None) -> Path:
    """A copy of the tiny knowledge base, with the files of an overlay folder laid over it."""
    shutil.copytree(TINY, dest)
    if overlay is not None:
        for f in sorted(overlay.rglob("*")):
            if f.is_file() and f.name != "expected.txt":
                target = dest / f.relative_to(overlay)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(f, target)
    return dest


def problems(root: Path) -> list[Problem]:
    """Every problem the validator reports for root, errors and warnings alike."""
    try:
        return build.check(root).warnings
    except ValidationFailed as failed:
        return failed.problems


def short(ps: list[Problem]) -> list[str]:
    return [f"{p.path}:{p.line}:{p.col}: {p.code}" for p in ps]
