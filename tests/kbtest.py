"""Shared helpers for the tests: the repository, fixture knowledge bases, and problems."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
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


def mkdocs(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`mkdocs build --strict`; MkDocs prints an abort's message on stdout, so both are joined."""
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", *args], cwd=root,
                         capture_output=True, text=True,
                         env={**os.environ, "NO_MKDOCS_2_WARNING": "1", **(env or {})})
    run.output = run.stdout + run.stderr
    return run


def mkdocs_in_process(root: Path, site: Path) -> None:
    """`mkdocs build` of root into site, in this process (where a test's monkeypatches hold)."""
    from mkdocs.commands import build as mkdocs_build
    from mkdocs.config import load_config

    config = load_config(str(root / "mkdocs.yml"), site_dir=str(site))
    config.plugins.on_startup(command="build", dirty=False)
    try:
        mkdocs_build.build(config)
    finally:
        config.plugins.on_shutdown()


def mkdocs_serve(root: Path, **popen) -> tuple[subprocess.Popen, int]:
    """`mkdocs serve` of root on a free local port; returns the process and the port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"], cwd=root,
                            env={**os.environ, "NO_MKDOCS_2_WARNING": "1"}, **popen)
    return proc, port


def copy_repo(dest: Path) -> Path:
    """The repository's sources, without built or generated output."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    for rel in listed:
        if (REPO / rel).is_file() and not rel.startswith("tests/"):
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(REPO / rel, dest / rel)
    return dest


def site_project(dest: Path, kb_root: Path) -> Path:
    """The repository's site scaffolding around another knowledge base's claims and references."""
    copy_repo(dest)
    shutil.rmtree(dest / "claims")
    shutil.copytree(kb_root / "claims", dest / "claims")
    shutil.copyfile(kb_root / "references.bib", dest / "references.bib")
    return dest


def in_shards(root: Path) -> Path:
    """The project at root, set to write its search index in shards (kb.shards), as a large
    site's is."""
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert "      bib: references.bib\n" in text
    config.write_text(text.replace("      bib: references.bib\n", "      bib: references.bib\n      search_shards: always\n"),
                      encoding="utf-8")
    return root
