"""Every error code has a failing fixture whose exact positions are pinned; bad input never crashes."""
from __future__ import annotations

import os
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
    # an error fixture pins its errors; warnings it causes on the way have fixtures of their own
    got = short([p for p in problems(root) if p.severity == "error" or p.code == fixture.name[:5]])
    assert " ".join(got).split() == expected
    assert all(line.split()[-1] == fixture.name[:5] for line in got)


def test_every_code_has_a_fixture():
    covered = {p.name[:5] for p in FIXTURES} | {"KB105"}  # KB105 needs a 1 MB file: made below
    assert covered == set(CODES)


def test_too_large_file(tmp_path):
    root = make_kb(tmp_path / "kb")
    (root / "claims" / "huge.yaml").write_text("claims: []\n" + "# padding\n" * 120_000)
    assert short(problems(root)) == ["claims/huge.yaml:1:1: KB105"]


def test_ids_differing_only_by_case_are_named_both_ways(tmp_path):
    root = make_kb(tmp_path / "kb")
    compounds = root / "claims" / "entities" / "compounds.yaml"
    compounds.write_text(compounds.read_text() + "  - id: Alphamine\n    name: Again\n    description: Same id, other case.\n")
    assert [(p.line, p.code) for p in problems(root)] == [(11, "KB207"), (11, "KB302"), (11, "KB306")]


def test_an_entity_kind_can_be_split_across_a_folder(tmp_path):
    root = make_kb(tmp_path / "kb")
    entities = root / "claims" / "entities"
    (entities / "compounds").mkdir()
    (entities / "compounds.yaml").rename(entities / "compounds" / "a-to-m.yaml")
    assert problems(root) == []
    (entities / "other").mkdir()
    (entities / "other" / "x.yaml").write_text("other: []\n")
    assert short(problems(root)) == ["claims/entities/other/x.yaml:1:1: KB201"]


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
    codes = sorted(p.code for p in problems(root) if p.severity == "error")
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


def codes_table(tmp_path) -> str:
    """The curators' guide's table of error codes: meaning, a real message from its fixture, fix."""
    rows = ["| Code | Meaning | Example message | Fix |", "| --- | --- | --- | --- |"]
    huge = make_kb(tmp_path / "huge")
    (huge / "claims" / "huge.yaml").write_text("claims: []\n" + "# padding\n" * 120_000)
    examples = {"KB105": problems(huge)[0].format().rsplit(" (fix: ", 1)[0]}
    for fixture in FIXTURES:
        found = problems(make_kb(tmp_path / fixture.name, fixture))
        first = next(p for p in found if p.code == fixture.name[:5])
        examples[fixture.name[:5]] = first.format().rsplit(" (fix: ", 1)[0]
    for code, (severity, meaning, fix) in CODES.items():
        label = f"{code} (warning)" if severity == "warning" else code
        example = examples[code].replace("|", "\\|")
        rows.append(f"| {label} | {meaning} | `{example}` | {fix} |")
    return "\n".join(rows)


def test_curators_guide_lists_every_code_with_example_and_fix(tmp_path):
    guide_path = ERRORS.parents[2] / "CONTRIBUTING.md"
    guide = guide_path.read_text(encoding="utf-8")
    start, end = "<!-- codes:start -->\n", "\n<!-- codes:end -->"
    table = codes_table(tmp_path)
    if os.environ.get("KB_UPDATE_GOLDEN"):
        head, _, rest = guide.partition(start)
        guide = head + start + table + end + rest.partition(end)[2]
        guide_path.write_text(guide, encoding="utf-8")
    assert start + table + end in guide
