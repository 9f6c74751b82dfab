"""Pages render on every core (kb.workers, kb.plugin.KBPlugin.prebuild): the same site, byte for
byte, on one process or several; a worker's warning still fails a strict build; no page is lost
or duplicated; one process where forking is unavailable."""
from __future__ import annotations

import json
import logging
import multiprocessing
import os
import re
import time
from pathlib import Path

import pytest

from kb import workers
from kbtest import copy_repo, in_shards, mkdocs
from test_shards import lookup, read


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_site_is_byte_identical_on_one_process_and_on_several(tmp_path):
    root = copy_repo(tmp_path / "kb")
    one = mkdocs(root, "-d", str(tmp_path / "one"), env={"KB_JOBS": "1"})
    assert one.returncode == 0, one.output
    several = mkdocs(root, "-d", str(tmp_path / "several"), env={"KB_JOBS": "3"})
    assert several.returncode == 0, several.output
    a, b = files_of(tmp_path / "one"), files_of(tmp_path / "several")
    assert sorted(a) == sorted(b)  # no page lost, none added
    assert [rel for rel in a if a[rel] != b[rel]] == []
    assert sum(rel.endswith(".html") for rel in a) > 80
    pages = [rel for rel in a if rel.startswith(("compounds/", "references/")) and rel.endswith(".html")]
    assert pages and all(b'<h1 id="' in a[rel] for rel in pages)  # each with its content, written once
    locations = [d["location"] for d in json.loads(a["search/search_index.json"])["docs"]]
    assert len(locations) == len(set(locations)) > 300  # each page indexed once, on one process too


def test_a_site_in_shards_is_byte_identical_with_its_shards_written_beside_the_pages(tmp_path):
    """On several processes the search index's shards are written by a process of their own while
    the pages are built (kb.plugin.DataSearchIndex.start); the site is the one a single process
    writes, shards folder and all, and the build cache keeps what that process used."""
    root = in_shards(copy_repo(tmp_path / "kb"))
    one = mkdocs(root, "-d", str(tmp_path / "one"), env={"KB_JOBS": "1"})
    assert one.returncode == 0, one.output
    assert "written beside the pages" not in one.output
    several = mkdocs(root, "-d", str(tmp_path / "several"), env={"KB_JOBS": "2"})
    assert several.returncode == 0, several.output
    assert "written beside the pages" in several.output
    a, b = files_of(tmp_path / "one"), files_of(tmp_path / "several")
    assert sorted(a) == sorted(b)
    assert [rel for rel in a if a[rel] != b[rel]] == []
    assert len({rel.split("/")[1] for rel in b if rel.startswith("search/kb-")}) == 1
    kept = {p.parent.parent.name for p in (root / ".cache" / "kb").rglob("*") if p.is_file()}
    assert {"words", "postings", "terms"} <= kept  # what the shards' process used is not pruned


# A hook that, in MkDocs' page loop, puts a word on the about page before the search plugin indexes it.
LATE_WORD_HOOK = '''
from mkdocs.plugins import event_priority
@event_priority(100)
def on_page_context(context, page, config, nav):
    if page.file.src_uri == "about.md":
        page.content = "<p>Qwxzlate</p>" + page.content
    return context
'''


def test_shards_written_beside_from_entries_the_loop_then_changed_are_written_again(tmp_path):
    """The shards written beside the pages are written from the entries MkDocs' page loop is
    expected to give: where a plugin changes a page in that loop, they are not used but written
    again from what the loop gave, and only that folder of shards is left in the site."""
    root = in_shards(copy_repo(tmp_path / "kb"))
    (root / "late_hook.py").write_text(LATE_WORD_HOOK, encoding="utf-8")
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8") + "\nhooks:\n  - late_hook.py\n", encoding="utf-8")
    one = mkdocs(root, "-d", str(tmp_path / "one"), env={"KB_JOBS": "1"})
    assert one.returncode == 0, one.output
    several = mkdocs(root, "-d", str(tmp_path / "several"), env={"KB_JOBS": "2"})
    assert several.returncode == 0, several.output
    assert "written beside the pages" not in several.output
    a, b = files_of(tmp_path / "one"), files_of(tmp_path / "several")
    assert sorted(a) == sorted(b) and [rel for rel in a if a[rel] != b[rel]] == []
    index, folder = read(tmp_path / "several")
    assert lookup(folder, index["config"]["kb_shards"], "qwxzlate")
    assert [p.name for p in (tmp_path / "several" / "search").glob("kb-*")] == [folder.name]


# A hook that makes the shards' process slow (it notes its pid) and fails the build before it ends.
FAIL_HOOK = '''
import time
from mkdocs.plugins import event_priority
from kb import shards
_write = shards.write
def slow_write(*args, **kwargs):
    time.sleep(4)
    return _write(*args, **kwargs)
shards.write = slow_write
@event_priority(100)
def on_post_build(config):
    search = next(p for name, p in config.plugins.items() if name.endswith("search"))
    early = search.search_index.early
    with open("beside_pid.txt", "w") as out:
        out.write(str(early.pid if early else 0))
    raise RuntimeError("Qwxz stopped the build")
'''


def test_a_build_that_fails_stops_the_shards_process_and_leaves_no_staging_folder(tmp_path):
    root = in_shards(copy_repo(tmp_path / "kb"))
    (root / "fail_hook.py").write_text(FAIL_HOOK, encoding="utf-8")
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8") + "\nhooks:\n  - fail_hook.py\n", encoding="utf-8")
    run = mkdocs(root, env={"KB_JOBS": "2"})
    assert run.returncode != 0 and "Qwxz stopped the build" in run.output
    pid = int((root / "beside_pid.txt").read_text())
    assert pid > 0
    for _ in range(100):  # (were it left running, it would end its sleep and write within seconds)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the shards' process is still running")
    time.sleep(0.5)
    assert not (root / "site.kb-staging").exists() and not (root / "site").exists()


# A hook that finds something to warn about in one rendered page.
WARNING_HOOK = '''
import logging, multiprocessing
def on_post_page(output, page, config):
    if page.file.src_uri == "compounds/sarcosine.md" and "GlyT1" in output:
        where = "a worker" if multiprocessing.parent_process() else "the main process"
        logging.getLogger("mkdocs.plugins.test").warning(f"Qwxz warned while building in {where}")
    return output
'''


def test_a_warning_raised_in_a_worker_fails_the_strict_build(tmp_path):
    root = copy_repo(tmp_path / "kb")
    assert mkdocs(root).returncode == 0
    before = files_of(root / "site")
    (root / "warn_hook.py").write_text(WARNING_HOOK, encoding="utf-8")
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8") + "\nhooks:\n  - warn_hook.py\n", encoding="utf-8")
    run = mkdocs(root, env={"KB_JOBS": "2"})
    assert "Qwxz warned while building in a worker" in run.output
    assert run.returncode != 0 and "Aborted with 1 warnings in strict mode" in run.output
    assert files_of(root / "site") == before  # the last good site stays


# A hook that notes, in the main process, what content the plugins' page events get for each page.
CONTENT_HOOK = '''
import multiprocessing
def on_page_context(context, page, config, nav):
    if multiprocessing.parent_process() is None:
        with open("content_seen.txt", "a", encoding="utf-8") as out:
            out.write(f"{page.file.src_uri} {len(page.content or '')}\\n")
    return context
'''


def test_a_page_built_in_a_worker_reaches_the_main_process_loop_without_its_content(tmp_path):
    """MkDocs' own loop hands each prebuilt page to the plugins' events again: its content, used by the
    worker, must not be there to be scanned twice (Material's search strips attributes from it)."""
    root = copy_repo(tmp_path / "kb")
    (root / "content_hook.py").write_text(CONTENT_HOOK, encoding="utf-8")
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8") + "\nhooks:\n  - content_hook.py\n", encoding="utf-8")
    run = mkdocs(root, env={"KB_JOBS": "2"})
    assert run.returncode == 0, run.output
    seen = dict(line.rsplit(" ", 1) for line in (root / "content_seen.txt").read_text(encoding="utf-8").splitlines())
    assert int(seen["about.md"]) > 1000  # a hand-written page is built here, with its content
    generated = {uri: int(n) for uri, n in seen.items() if uri != "about.md"}
    assert len(generated) > 80 and set(generated.values()) == {0}


def test_jobs_run_in_order_on_several_processes_and_their_log_records_reach_the_parent(caplog):
    def task(i: int) -> tuple[int, int]:
        if i == 123:
            logging.getLogger("mkdocs.test").warning("job 123 in %s", "a worker" if multiprocessing.parent_process()
                                                     else "the parent")
        return i, os.getpid()

    with caplog.at_level(logging.WARNING, logger="mkdocs.test"):
        results = workers.map_ordered(task, 300, jobs=2)
    assert [i for i, _ in results] == list(range(300))
    assert os.getpid() not in {pid for _, pid in results}  # all ran in workers
    assert [r.getMessage() for r in caplog.records] == ["job 123 in a worker"]


def test_without_fork_everything_runs_in_this_process(monkeypatch):
    monkeypatch.setattr(workers, "can_fork", lambda: False)
    assert workers.map_ordered(lambda i: (i, os.getpid()), 200, jobs=4) == [(i, os.getpid()) for i in range(200)]


@pytest.mark.parametrize("asked, n, want", [(None, 10, 1), ("3", 10, 3), ("3", 2, 2), ("1", 10_000, 1)])
def test_how_many_processes(monkeypatch, asked, n, want):
    if asked is None:
        monkeypatch.delenv("KB_JOBS", raising=False)
    else:
        monkeypatch.setenv("KB_JOBS", asked)
    assert workers.worker_count(n) == want


def test_claim_files_check_the_same_on_one_process_and_on_several(tmp_path):
    """kb.build.check loads and checks the claim files on several processes: the same problems, in
    the same order, and the same knowledge base as on one."""
    from bench.corpus import generate_corpus
    from kb import build
    from kb.problems import ValidationFailed
    from kb.render import exports

    generate_corpus(tmp_path, 400)
    files = build.claim_files(tmp_path)
    assert len(files) >= 4
    one, several = build.check(tmp_path, jobs=1), build.check(tmp_path, jobs=3)
    assert exports(one.kb) == exports(several.kb)
    assert [p.format() for p in one.warnings] == [p.format() for p in several.warnings]
    # a load error in one file, a record error in another
    files[0].write_text(files[0].read_text(encoding="utf-8") + "\n\tbad: tab\n", encoding="utf-8")
    files[-1].write_text(files[-1].read_text(encoding="utf-8").replace("evidence_type:", "evidence_typo:", 1),
                         encoding="utf-8")
    messages = []
    for jobs in (1, 3):
        with pytest.raises(ValidationFailed) as failed:
            build.check(tmp_path, jobs=jobs)
        messages.append(str(failed.value))
    assert messages[0] == messages[1]
    assert files[0].name in messages[0] and files[-1].name in messages[0]


# A hook that handles the page_content event: it must get each generated page's HTML.
PAGE_CONTENT_HOOK = '''
def on_page_content(html, page, config, files):
    return html + '<p class="qwxz-hook">' + str(len(html)) + "</p>"
'''


def test_a_plugin_handling_page_content_gets_each_generated_pages_html(tmp_path):
    """The engine leaves a generated page's HTML in the build cache until the theme's page for it
    is built; where a plugin handles MkDocs' page_content event, the page reads it first, so that
    the plugin gets it, as it gets a hand-written page's, warm or cold."""
    root = copy_repo(tmp_path / "kb")
    (root / "page_content_hook.py").write_text(PAGE_CONTENT_HOOK, encoding="utf-8")
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8") + "\nhooks:\n  - page_content_hook.py\n", encoding="utf-8")
    for build in ("cold", "warm"):
        run = mkdocs(root, env={"KB_JOBS": "2"})
        assert run.returncode == 0, run.output
        page = (root / "site" / "compounds" / "sarcosine.html").read_text(encoding="utf-8")
        shown = re.search(r'<p class="qwxz-hook">(\d+)</p>', page)
        assert shown and int(shown.group(1)) > 5000 and "<h1" in page.split('qwxz-hook')[0], build


def test_a_task_beside_returns_its_result_and_log_records_or_none_when_it_fails(caplog):
    def task() -> tuple[int, int]:
        logging.getLogger("mkdocs.test").warning("said %s", "beside")
        return 42, os.getpid()

    with caplog.at_level(logging.WARNING, logger="mkdocs.test"):
        value, pid = workers.Beside(task).result()
    assert value == 42 and pid != os.getpid()
    assert [r.getMessage() for r in caplog.records] == ["said beside"]
    assert workers.Beside(lambda: 1 / 0).result() is None  # failed: the caller does the work itself
    slow = workers.Beside(lambda: time.sleep(30))
    slow.abandon()
    with pytest.raises(ChildProcessError):
        os.waitpid(slow.pid, os.WNOHANG)  # stopped, and reaped
    assert slow.result() is None
