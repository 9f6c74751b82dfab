"""Every error code has a failing fixture whose exact positions are pinned; bad input never crashes."""
from __future__ import annotations

import contextlib
import os
import resource
import subprocess
import sys

import pytest

from kb import build
from kb.problems import CODES
from kbtest import ERRORS, make_kb, problems, short

FIXTURES = sorted(p for p in ERRORS.iterdir() if p.is_dir())
MADE_BY_TESTS = {"KB105", "KB409"}  # files of 1 MB and 4 MB: made below instead of committed


@contextlib.contextmanager
def memory_cap(extra: int = 1 << 30):
    """Let this process grow by at most `extra` bytes: a file that expands without bound (the
    alias bomb, a huge file read whole) then fails the test with a MemoryError within seconds
    instead of taking the machine's memory."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as fh:
        now = int(fh.read().split()[0]) * resource.getpagesize()
    cap = now + extra if hard == resource.RLIM_INFINITY else min(now + extra, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.name)
def test_error_fixture_reports_exact_positions(fixture, tmp_path):
    root = make_kb(tmp_path / "kb", fixture)
    expected = (fixture / "expected.txt").read_text().split()
    with memory_cap():
        found = problems(root)
    # an error fixture pins its errors; warnings it causes on the way have fixtures of their own
    got = short([p for p in found if p.severity == "error" or p.code == fixture.name[:5]])
    assert " ".join(got).split() == expected
    assert all(line.split()[-1] == fixture.name[:5] for line in got)


def test_every_code_has_a_fixture():
    covered = {p.name[:5] for p in FIXTURES} | MADE_BY_TESTS
    assert covered == set(CODES)


def too_large(root, size: int = 0):
    """A knowledge base whose claim file and references.bib are over their limits, as sparse
    files (`size` bytes, by default just over): they take no disk space, and reading them whole
    before checking their size would need that much memory."""
    for path, limit in ((root / "claims" / "huge.yaml", 1_000_000), (root / "references.bib", build.BIB_MAX_BYTES)):
        with open(path, "wb") as fh:
            fh.truncate(size or limit + 1)
    return root


def test_too_large_files(tmp_path):
    root = too_large(make_kb(tmp_path / "kb"))
    assert [p.format() for p in problems(root)] == [
        "claims/huge.yaml:1:1: KB105 file is 1,000,001 bytes; the limit is 1,000,000 (fix: split it into several files)",
        "references.bib:1:1: KB409 references.bib is 4,000,001 bytes; the limit is 4,000,000 (fix: remove entries "
        "nothing cites and long fields the site does not show (abstracts, keywords))"]


def test_sizes_are_checked_before_reading(tmp_path):
    """Files of 4 GB each: refused at once, never read into memory."""
    root = too_large(make_kb(tmp_path / "kb"), size=4 << 30)
    with memory_cap():
        assert short(problems(root)) == ["claims/huge.yaml:1:1: KB105", "references.bib:1:1: KB409"]


def test_ids_differing_only_by_case_are_named_both_ways(tmp_path):
    root = make_kb(tmp_path / "kb")
    compounds = root / "claims" / "entities" / "compounds.yaml"
    compounds.write_text(compounds.read_text() + "  - id: Alphamine\n    name: Again\n    description: Same id, other case.\n")
    assert [(p.line, p.code) for p in problems(root)] == [(14, "KB207"), (14, "KB302"), (14, "KB306")]


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


@pytest.mark.parametrize("victim", ["claims/tiny.yaml", "claims/entities/compounds.yaml"])
def test_a_file_that_fails_to_load_brings_no_false_cross_file_problems(tmp_path, victim):
    """Its claims' references (or its entities) are unknown: no 'unused entity' warnings, no
    'no compound with id' errors, only the file's own error."""
    root = make_kb(tmp_path / "kb")
    path = root / victim
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(3, "    oops: [unclosed\n")
    path.write_text("".join(lines), encoding="utf-8")
    found = problems(root)
    assert [p.code for p in found] == ["KB102"], [p.format() for p in found]


def test_cli_prints_errors_before_warnings(tmp_path):
    root = make_kb(tmp_path / "kb", ERRORS / "KB306-unused-entity")  # a warning in claims/entities/
    (root / "references.bib").write_bytes((ERRORS / "KB403-doi" / "references.bib").read_bytes())
    run = subprocess.run([sys.executable, "-m", "kb.cli", "check", "--root", str(root)],
                         capture_output=True, text=True)
    assert run.returncode == 1
    lines = [line.split()[1] for line in run.stderr.splitlines() if line.split()[1:2] and line.split()[1].startswith("KB")]
    severities = ["warning" if CODES[c][0] == "warning" else "error" for c in lines]
    assert "KB403" in lines and "KB306" in lines, run.stderr
    assert severities == sorted(severities), run.stderr  # 'error' sorts before 'warning'


def test_cli_build_writes_nothing_on_error(tmp_path):
    root = make_kb(tmp_path / "kb", ERRORS / "KB304-missing-citation")
    run = subprocess.run([sys.executable, "-m", "kb.cli", "build", "--root", str(root)],
                         capture_output=True, text=True)
    assert run.returncode == 1
    assert not (root / "docs").exists()


def codes_table(tmp_path) -> str:
    """The curators' guide's table of error codes: meaning, a real message from its fixture, fix."""
    rows = ["| Code | Meaning | Example message | Fix |", "| --- | --- | --- | --- |"]
    examples = {p.code: p.format().rsplit(" (fix: ", 1)[0] for p in problems(too_large(make_kb(tmp_path / "huge")))}
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
        assert not os.environ.get("CI"), "KB_UPDATE_GOLDEN rewrites the guide; it is refused under CI"
        head, _, rest = guide.partition(start)
        guide = head + start + table + end + rest.partition(end)[2]
        guide_path.write_text(guide, encoding="utf-8")
    assert start + table + end in guide


def test_a_finding_s_note_is_checked_against_its_own_source_s_list(tmp_path):
    """Each source lists its own notes: a finding's note is known when its source lists it, and
    unknown (KB311) when only another source does, whichever source's findings come first."""
    root = make_kb(tmp_path / "kb")
    sources = root / "claims" / "entities" / "sources.yaml"
    sources.write_text(sources.read_text(encoding="utf-8") + """  - id: othersource
    kind: Test article
    assessment:
      - It is another.
    concerns:
      - None here.
    notes:
      - note: "7"
        ref: smith2000study
        identification: identified
        reason: The article names the study's title.
""", encoding="utf-8")
    bib = root / "references.bib"
    bib.write_text(bib.read_text(encoding="utf-8") + "\n@online{othersource,\n  title = {Another Source Article},\n"
                   "  publisher = {Example Press},\n  year = {2024},\n  url = {https://example.org/other}\n}\n",
                   encoding="utf-8")
    finding = """  - id: {id}
    statement: A statement.
    evidence_type: in vitro
    compounds: [alphamine]
    citations: [smith2000study]
    source: {{ref: {ref}, locator: Here, note: "{note}"}}
    article_says: Says so.
    verdict: supported
"""
    for first, second in [("othersource", "tinysource"), ("tinysource", "othersource")]:
        (root / "claims" / "more.yaml").write_text(
            "claims:\n" + finding.format(id="aa-first", ref=first, note="7" if first == "othersource" else "1")
            + finding.format(id="ab-second", ref=second, note="7" if second == "othersource" else "1"),
            encoding="utf-8")
        assert [p for p in short(problems(root)) if "KB3" in p] == []
        (root / "claims" / "more.yaml").write_text(
            "claims:\n" + finding.format(id="aa-first", ref=first, note="7" if first == "othersource" else "1")
            + finding.format(id="ab-second", ref=second, note="1" if second == "othersource" else "7"),
            encoding="utf-8")
        assert [(p.path, p.line) for p in problems(root) if p.code == "KB311"] == [("claims/more.yaml", 15)]
