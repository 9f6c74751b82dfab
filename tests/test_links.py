"""The engine checks its own links and anchors (kb.links), since generated pages skip the
Python-Markdown pipeline in which MkDocs checks them: a broken one fails the strict build."""
from __future__ import annotations

from pathlib import Path

from kb import build, links
from kb.render import GENERATED_DIRS
from kbtest import copy_repo, mkdocs, mkdocs_in_process


def test_a_page_reads_its_ids_and_its_links_within_the_site():
    ids, found = links.of('<h2 id="a&amp;b">x</h2><p id="p1"><a href="../x.html#a&amp;b">1</a>'
                          '<a class="c" href="https://doi.org/10.1/x">2</a><a href="mailto:a@b.c">3</a>'
                          '<a href="//cdn.example/x.js">4</a><a href="../x.html#a&amp;b">again</a>'
                          '<a href="#p1">5</a><link href="style.css"></p>')
    assert ids == {"a&b", "p1"}
    assert found == ("../x.html#a&b", "#p1")  # outside links and <link> are not the engine's to check


def test_every_kind_of_broken_link_is_named_with_its_page():
    pages = {
        "compounds/a.html": (frozenset({"top"}), ("../conditions/b.html#with-a", "#top", "../missing.html",
                                                  "../conditions/b.html#nothing", "#gone", "../../out.html",
                                                  "../data/claims.json", "../about.html#anything",
                                                  "../conditions/b%20c.html?evidence=animal")),
        "conditions/b.html": (frozenset({"with-a"}), ()),
    }
    files = ["compounds/a.html", "conditions/b.html", "conditions/b c.html", "data/claims.json", "about.html"]
    assert links.broken(pages, files) == [
        "compounds/a.html: the link '../missing.html' points to missing.html, which the site does not have",
        "compounds/a.html: the link '../conditions/b.html#nothing' points to #nothing, "
        "which conditions/b.html does not have",
        "compounds/a.html: the link '#gone' points to #gone, which compounds/a.html does not have",
        "compounds/a.html: the link '../../out.html' points to ../out.html, which the site does not have",
    ]


def test_the_real_sites_generated_links_all_resolve():
    repo = Path(__file__).resolve().parents[1]
    files = build.render(build.check(repo), jobs=1)
    pages = {rel[: -len(".md")] + ".html": (p.anchors, p.links) for rel, p in files.items() if isinstance(p, build.Page)}
    assert sum(len(found) for _, found in pages.values()) > 1000  # the pages do link to each other
    written = {p.relative_to(repo / "docs").as_posix() for p in (repo / "docs").rglob("*") if p.is_file()}
    written = {rel for rel in written  # the hand-written files, not a copy `kb build` left in docs/
               if rel not in build.GENERATED_FILES and rel.split("/")[0] not in GENERATED_DIRS}
    site = set(files) | {rel[: -len(".md")] + ".html" if rel.endswith(".md") else rel for rel in written}
    assert links.broken(pages, site) == []


BROKEN = '<p><a href="../nowhere.html">away</a> <a href="#no-such-id">here</a></p>\n'


def test_a_template_with_a_broken_link_fails_the_strict_build(tmp_path):
    root = copy_repo(tmp_path / "kb")
    template = root / "scripts/kb/templates/compound.html.j2"
    template.write_text(template.read_text(encoding="utf-8") + BROKEN, encoding="utf-8")
    run = mkdocs(root, env={"PYTHONPATH": str(root / "scripts")})  # the copy's engine, with its templates
    assert run.returncode != 0, run.output
    assert "compounds/sarcosine.html: the link '../nowhere.html' points to nowhere.html" in run.output
    assert "compounds/sarcosine.html: the link '#no-such-id' points to #no-such-id" in run.output
    assert "Traceback" not in run.output
    assert not (root / "site").exists()


def test_a_rebuild_checks_again_only_the_links_of_the_pages_whose_html_changed(tmp_path, monkeypatch):
    """With a build cache, a check that found every link resolved is recorded under the site's
    files (kind "links"): an unchanged rebuild reads no page's links, an edit only those of the
    pages whose HTML it changed."""
    from kb import plugin
    from test_plugin import edit_first_statement

    root = copy_repo(tmp_path / "kb")
    checked: list[list[str] | None] = []
    real = links.broken

    def broken(pages, files, only=None):
        checked.append(None if only is None else list(only))
        return real(pages, files, only)

    monkeypatch.setattr(plugin.links, "broken", broken)
    mkdocs_in_process(root, tmp_path / "cold")
    mkdocs_in_process(root, tmp_path / "warm")
    assert checked == [None, []]  # all pages, then none
    edit_first_statement(root, "Qwxzedit")
    mkdocs_in_process(root, tmp_path / "edited")
    again, edited = checked[2], tmp_path / "edited"
    pages = {p.relative_to(edited).as_posix(): p.read_bytes() for p in edited.rglob("*.html")}
    showing = {rel for rel, html in pages.items() if b"Qwxzedit" in html and rel.split("/", 1)[0] in GENERATED_DIRS}
    differ = {rel for rel, html in pages.items() if html != (tmp_path / "warm" / rel).read_bytes()}
    assert again is not None and showing and showing <= set(again) <= differ
    assert len(again) < 20


def test_a_check_reads_again_the_pages_whose_html_changed_and_all_when_an_id_is_gone():
    """kb.links.to_check: after a check that found nothing broken, a page whose HTML changed is
    read again; a page whose ids changed, or that the record does not know, means every page is
    (an unchanged page may link to an id that is gone); no record, every page."""
    now = {"a.html": ("h1", frozenset({"x", "y"})), "b.html": ("h2", frozenset({"z"})), "c.html": ("h3", frozenset())}
    record = links.recorded(now)
    assert links.to_check(record, now) == []
    assert links.to_check(None, now) is None and links.to_check({}, now) is None
    edited = {**now, "b.html": ("h2b", frozenset({"z"}))}
    assert links.to_check(record, edited) == ["b.html"]
    assert links.to_check(record, {**now, "b.html": ("h2b", frozenset({"z", "w"}))}) is None
    assert links.to_check(record, {**now, "b.html": ("h2b", frozenset())}) is None
    assert links.to_check(record, {**now, "d.html": ("h4", frozenset())}) is None
    kept = links.recorded(edited, record)
    assert kept["a.html"] is record["a.html"] and kept["b.html"][0] == "h2b" and links.to_check(kept, edited) == []


def test_a_link_to_a_file_the_site_no_longer_has_fails_a_warm_build(tmp_path):
    """The recorded check names the site's files: a generated page whose HTML did not change still
    has its links checked when a file it links to is gone, in every build until it is back."""
    root = copy_repo(tmp_path / "kb")
    template = root / "scripts/kb/templates/compound.html.j2"
    template.write_text(template.read_text(encoding="utf-8") + '<p><a href="../assets/kb.css">style</a></p>\n',
                        encoding="utf-8")
    env = {"PYTHONPATH": str(root / "scripts")}  # the copy's engine, with its templates
    assert mkdocs(root, env=env).returncode == 0
    (root / "docs" / "assets" / "kb.css").unlink()  # (not part of the build's fingerprint)
    for _ in range(2):  # and again: a check that found a broken link is not recorded as a good one
        run = mkdocs(root, env=env)
        assert run.returncode != 0, run.output
        assert "compounds/sarcosine.html: the link '../assets/kb.css' points to assets/kb.css" in run.output
