"""The scale benchmark runs end to end on a small corpus: a table, and a parsable last line.

No timing is asserted here; the targets are checked by running the benchmark itself.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize("shards", ["auto", "always"])  # 200 claims: `auto` keeps Material's one index
def test_bench_smoke(tmp_path, shards):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    cmd = [sys.executable, "-m", "bench", "--claims", "200", "--search", "--search-shards", shards,
           "--work", str(tmp_path / "work")]
    res = subprocess.run(cmd,
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    lines = res.stdout.strip().splitlines()
    header = next(ln for ln in lines if ln.startswith("| claims |"))
    for column in ("validate s", "generate s", "MkDocs s", "total s", "warm s", "engine share", "peak MB", "pages",
                   "largest page KB", "largest index KB", "median page KB", "search index MB"):
        assert column in header
    row = next(ln for ln in lines if ln.startswith("| 200 |"))
    assert len(row.split("|")) == len(header.split("|"))
    last = dict(pair.split("=", 1) for pair in lines[-1].split())
    assert last["claims"] == "200"
    assert float(last["total_s"]) > 0
    assert 0 < float(last["engine_share"]) < 1
    assert float(last["warm_s"]) > 0
    assert int(last["pages"]) > 10
    assert "one claim edited, warm rebuild" in res.stdout
    assert float(last["search_first_result_ms"]) > 0  # typed into Chromium's search box (CI has it)
    assert float(last["search_from_click_ms"]) >= float(last["search_first_result_ms"])
    if shards == "always":
        assert int(last["search_shards"]) > 10 and "search_index_s" not in last
    else:
        assert float(last["search_index_s"]) > 0 and "search_shards" not in last  # lunr, built in node


def test_the_benchmark_builds_with_the_engine_beside_it(tmp_path):
    """The benchmark's builds import the engine from the folder the benchmark comes from, not from
    whatever copy an editable install points at: a clone of the project measures its own code."""
    import shutil
    from pathlib import Path

    scripts = Path(__file__).resolve().parents[1] / "scripts"
    copy = tmp_path / "scripts"
    for package in ("bench", "kb"):
        shutil.copytree(scripts / package, copy / package, ignore=shutil.ignore_patterns("__pycache__"))
    elsewhere = tmp_path / "corpus"  # where the benchmark's builds run
    elsewhere.mkdir()
    probe = ("import subprocess, sys; from bench.build import mkdocs_env; "
             "print(subprocess.run([sys.executable, '-c', 'import kb; print(kb.__file__)'], env=mkdocs_env(), "
             f"cwd={str(elsewhere)!r}, capture_output=True, text=True, check=True).stdout)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=copy, capture_output=True, text=True, check=True)
    assert Path(out.stdout.strip()).resolve() == (copy / "kb" / "__init__.py").resolve()


def test_the_benchmarks_builds_keep_pythons_compiled_modules_as_python_does_by_default(monkeypatch):
    """This machine's environment tells Python not to write compiled modules; a user's Python
    writes them, and a rebuild then does not compile the engine again: the benchmark measures that."""
    from bench.build import mkdocs_env

    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    out = subprocess.run([sys.executable, "-c", "import sys; print(sys.dont_write_bytecode)"], env=mkdocs_env(),
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
