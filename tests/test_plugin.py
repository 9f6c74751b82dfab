"""The `kb` MkDocs plugin: its options, a failed build inside MkDocs leaving site/ and docs/ as
they were, and a newcomer's terminal that shows the summary and the address, not MkDocs' list of
pages outside the nav."""
from __future__ import annotations

import gc
import re
import shutil
import subprocess
import threading
from pathlib import Path

from bench.corpus import insert_token
from kbtest import copy_repo, mkdocs, mkdocs_serve


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def edit_first_statement(root: Path, token: str) -> Path:
    """Put token at the start of the first statement of the first claim file, however the
    statement is written (folded, quoted or plain), as the benchmark's serve job does; return
    the file."""
    for path in sorted((root / "claims").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        if "statement:" in text:
            path.write_text(insert_token(text, token), encoding="utf-8")
            return path
    raise AssertionError("no claim statement to edit")


def test_a_build_failing_inside_mkdocs_leaves_site_and_docs_as_they_were(tmp_path):
    root = copy_repo(tmp_path)
    assert mkdocs(root).returncode == 0
    site_before, docs_before = snapshot(root / "site"), snapshot(root / "docs")
    # A valid edit of the data (the generated pages would change) and a broken link in a
    # hand-written page: validation passes, MkDocs' strict mode fails the build.
    edit_first_statement(root, "Qwxzedit")
    about = root / "docs" / "about.md"
    about.write_text(about.read_text(encoding="utf-8") + "\nSee [this](no-such-page.md).\n", encoding="utf-8")
    docs_before["about.md"] = about.read_bytes()

    run = mkdocs(root)
    assert run.returncode != 0
    assert "no-such-page.md" in run.output and "Traceback" not in run.output
    assert snapshot(root / "site") == site_before
    assert snapshot(root / "docs") == docs_before
    assert sorted(p.name for p in root.iterdir() if p.name.startswith("site")) == ["site"]

    # Once the link is fixed, the same edit is built and published in site/; docs/ holds only
    # what people wrote (the site is built from memory).
    about.write_text(about.read_text(encoding="utf-8").replace("no-such-page.md", "index.md"), encoding="utf-8")
    docs_before["about.md"] = about.read_bytes()
    run = mkdocs(root)
    assert run.returncode == 0, run.output
    assert any(b"Qwxzedit" in data for data in snapshot(root / "site").values())
    assert snapshot(root / "docs") == docs_before


def test_build_output_is_the_summary_not_a_list_of_pages(tmp_path):
    root = copy_repo(tmp_path)
    run = mkdocs(root)
    assert run.returncode == 0, run.output
    lines = run.output.strip().splitlines()
    assert "not included in the" not in run.output
    assert any(re.search(r"kb: \d+ claims valid", line) for line in lines), lines
    assert len(lines) <= 8, lines


def test_serve_prints_the_summary_then_the_address(tmp_path):
    root = copy_repo(tmp_path)
    proc, port = mkdocs_serve(root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    served = threading.Event()

    def read() -> None:
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if "Serving on" in line:
                served.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert served.wait(90), lines
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        reader.join(timeout=30)
        proc.stdout.close()
    shown = lines[: next(i for i, line in enumerate(lines) if "Serving on" in line) + 1]
    assert not any("not included in the" in line for line in shown), shown
    assert any(re.search(r"kb: \d+ claims valid", line) for line in shown), shown
    assert shown[-1].endswith(f"Serving on http://127.0.0.1:{port}/")
    assert len(shown) <= 8, shown


def test_claims_folder_and_bib_are_plugin_options(tmp_path):
    root = copy_repo(tmp_path)
    (root / "data").mkdir()
    shutil.move(root / "claims", root / "data" / "curated")
    shutil.move(root / "references.bib", root / "data" / "studies.bib")
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert "  - kb:\n      claims: claims\n      bib: references.bib\n" in text
    config.write_text(text.replace("      claims: claims\n      bib: references.bib\n",
                                   "      claims: data/curated\n      bib: data/studies.bib\n"), encoding="utf-8")
    run = mkdocs(root)
    assert run.returncode == 0, run.output
    assert (root / "site" / "data" / "references.bib").read_bytes() == (root / "data" / "studies.bib").read_bytes()

    with (root / "data" / "studies.bib").open("a", encoding="utf-8") as fh:
        fh.write("\n@article{broken,\n  title = {Unclosed\n")
    run = mkdocs(root)
    assert run.returncode != 0
    assert re.search(r"^data/studies\.bib:\d+:\d+: KB401 ", run.output, re.M), run.output


def test_a_path_option_outside_the_project_is_a_clean_config_error(tmp_path):
    root = copy_repo(tmp_path)
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("      bib: references.bib\n",
                                                                  "      bib: ../references.bib\n"), encoding="utf-8")
    run = mkdocs(root)
    assert run.returncode != 0
    assert "'../references.bib' must be a path inside the project" in run.output, run.output
    assert "Traceback" not in run.output


def test_the_cycle_collector_stops_under_build_only():
    """`mkdocs build` is one build per process: the plugin stops Python's cycle collector once the
    model is built. Under `serve`, each rebuild's objects must still be collected."""
    from kb.plugin import KBPlugin

    try:
        for command, collecting in (("serve", True), ("build", False)):
            gc.enable()
            plugin = KBPlugin()
            plugin.on_startup(command=command, dirty=False)
            plugin.keep_for_good()
            assert gc.isenabled() is collecting, command
    finally:
        gc.unfreeze()
        gc.enable()
