"""The pipeline, end to end: load -> validate -> model -> render -> write.

Only this module and the command line touch the disk. Nothing is written unless every file
validated, and then only files whose content changed are replaced (each atomically), so a
failed build leaves the last good docs/ as it was. (Under `mkdocs serve` the hooks keep the
rendered pages in memory and call check and render only.)
"""
from __future__ import annotations

import contextlib
import gc
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import model, validate
from .bib import load_bib
from .problems import Problem, ValidationFailed, errors
from .render import GENERATED_DIRS, GENERATED_FILES, Renderer
from .yamlload import Doc, load_yaml

CLAIMS_DIR = "claims"
BIB_FILE = "references.bib"
DOCS_DIR = "docs"


@dataclass
class Checked:
    kb: model.KB
    warnings: list[Problem]
    bib_text: str


@contextlib.contextmanager
def _gc_paused():
    """Pause Python's cycle collector: loading makes millions of small acyclic objects, and its
    repeated full passes over them made validation grow faster than the corpus (reference
    counting still frees everything)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def claim_files(root: Path) -> list[Path]:
    base = root / CLAIMS_DIR
    return sorted(p for p in base.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def check(root: Path) -> Checked:
    """Load and validate everything under root; raise ValidationFailed listing every error."""
    with _gc_paused():
        return _check(root)


def _check(root: Path) -> Checked:
    problems: list[Problem] = []
    docs: list[Doc] = []
    for path in claim_files(root):
        rel = path.relative_to(root).as_posix()
        doc, found = load_yaml(rel, path.read_bytes())
        problems += found
        if not found:
            problems += validate.check_file(doc)
        docs.append(doc)
    bib_path = root / BIB_FILE
    bib_text = ""
    if not bib_path.exists():
        problems.append(Problem(BIB_FILE, 1, 1, "KB401", "references.bib is missing"))
        refs = {}
    else:
        raw = bib_path.read_bytes()
        try:
            bib_text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            problems.append(Problem(BIB_FILE, line, 1, "KB101", f"byte 0x{raw[exc.start]:02x} is not UTF-8"))
        refs, found = load_bib(BIB_FILE, bib_text)
        problems += found
    good_docs = [d for d in docs if d.data is not None]
    problems += validate.check_corpus(good_docs, refs, BIB_FILE)
    if errors(problems):
        raise ValidationFailed(problems)
    return Checked(model.build(good_docs, refs), sorted(problems), bib_text)


def render(checked: Checked) -> dict[str, str]:
    with _gc_paused():
        files = Renderer(checked.kb).render_all()
    files["data/references.bib"] = checked.bib_text
    return files


def write(docs_dir: Path, files: dict[str, str]) -> int:
    """Make the generated part of docs_dir hold exactly `files`; return how many files changed."""
    changed = 0
    for rel, text in sorted(files.items()):
        target = docs_dir / rel
        data = text.encode("utf-8")
        if target.is_file() and target.read_bytes() == data:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".kb-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
        changed += 1
    owned = {docs_dir / d for d in GENERATED_DIRS}
    for d in owned:
        for path in sorted(d.rglob("*"), reverse=True) if d.exists() else []:
            rel = path.relative_to(docs_dir).as_posix()
            if path.is_file() and rel not in files:
                path.unlink()
                changed += 1
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    return changed


def generate(root: Path) -> tuple[Checked, int]:
    checked = check(root)
    files = render(checked)
    return checked, write(root / DOCS_DIR, files)


__all__ = ["check", "render", "write", "generate", "GENERATED_FILES", "ValidationFailed"]
