"""Every error code has a failing fixture whose exact positions are pinned; bad input never crashes."""
from __future__ import annotations

import subprocess
import sys

import pytest

from kb.problems import CODES
from kbtest import ERRORS, make_kb, problems, short

FIXTURES = sorted(p for p in ERRORS.iterdir() if p.is_dir())


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.name)
def test_error_fixture_reports_exact_positions(fixture, tmp_path):
    root = make_kb(tmp_path / "kb", fixture)
    expected = (fixture / "expected.txt").read_text().split()
    got = short(problems(root))
    assert " ".join(got).split() == expected
    assert all(line.split()[-1] == fixture.name[:5] for line in got)


def test_every_code_has_a_fixture():
    covered = {p.name[:5] for p in FIXTURES} | {"KB105"}  # KB105 needs a 1 MB file: made below
    assert covered == set(CODES)


def test_too_large_file(tmp_path):
    root = make_kb(tmp_path / "kb")
    (root / "claims" / "huge.yaml").write_text("claims: []\n" + "# padding\n" * 120_000)
    assert short(problems(root)) == ["claims/huge.yaml:1:1: KB105"]


def test_tiny_fixture_is_clean(tmp_path):
    assert problems(make_kb(tmp_path / "kb")) == []


def test_all_problems_reported_in_one_run(tmp_path):
    root = make_kb(tmp_path / "kb")
    for name in ("KB103-tab", "KB206-evidence-type", "KB403-doi"):
        make_kb(tmp_path / name, ERRORS / name)
    (root / "claims" / "tab.yaml").write_bytes((tmp_path / "KB103-tab/claims/bad.yaml").read_bytes())
    (root / "claims" / "ev.yaml").write_bytes(
        (tmp_path / "KB206-evidence-type/claims/bad.yaml").read_bytes().replace(b"extra-claim", b"ev-claim"))
    (root / "references.bib").write_bytes((tmp_path / "KB403-doi/references.bib").read_bytes())
    codes = sorted(p.code for p in problems(root))
    assert codes == ["KB103", "KB206", "KB403"]


def test_cli_reports_errors_without_traceback(tmp_path):
    root = make_kb(tmp_path / "kb", ERRORS / "KB206-evidence-type")
    run = subprocess.run([sys.executable, "-m", "kb.cli", "check", "--root", str(root)],
                         capture_output=True, text=True)
    assert run.returncode == 1
    assert "claims/bad.yaml:4:20: KB206 'In Vitro' is not a valid evidence_type (did you mean 'in vitro'?)" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout


def test_cli_build_writes_nothing_on_error(tmp_path):
    root = make_kb(tmp_path / "kb", ERRORS / "KB304-missing-citation")
    run = subprocess.run([sys.executable, "-m", "kb.cli", "build", "--root", str(root)],
                         capture_output=True, text=True)
    assert run.returncode == 1
    assert not (root / "docs").exists()
