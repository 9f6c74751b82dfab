"""The built HTML as a checker, a crawler and a researcher read it: the Nu HTML checker finds no
error of the site's own making; sitemap.xml lists every page, and each page has its canonical link
and its own description; no heading anchor carries a count; citations read as they should (page
ranges with an en dash, no trace of a missing field); each page's BibTeX and CSL-JSON downloads
hold exactly the references it cites; each page says when its data last changed (from git), and the
Open data page has a changelog and a licence.

The real site is the session's `mkdocs build --strict` (tests/conftest.py).
"""
from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
import subprocess
from pathlib import Path

import bibtexparser
import pytest
from bs4 import BeautifulSoup
from mkdocs.config import load_config

from kb import bib, cite, pagemeta
from kbtest import FIXTURES, REPO, mkdocs, site_project

VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

# Errors the Nu HTML checker reports in the theme's own markup (mkdocs-material's templates), each
# by its exact message and a piece of the markup it is reported on, with why it is the theme's.
# Any other error fails the test, and so does an entry here that no page needs any more.
THEME_ERRORS = {
    ("Attribute “autocomplete” is only allowed when the input type is “color”, “date”, "
     "“datetime-local”, “email”, “hidden”, “month”, “number”, “password”, “range”, “search”, “tel”, "
     "“text”, “time”, “url”, or “week”.", 'class="md-toggle"'):
        "base.html gives the drawer and search toggles, which are checkboxes, autocomplete=off "
        "(so that Firefox does not restore their state).",
    ("Bad value “” for attribute “tabindex” on element “label”: The empty string is not a valid "
     "integer.", 'class="md-nav__link"'):
        "partials/nav-item.html writes an empty tabindex on the label of a navigation section.",
    ("The value of the “for” attribute of the “label” element must be the ID of a non-hidden form "
     "control.", 'for="__toc"'):
        "partials/toc.html labels the table of contents for the __toc checkbox, which "
        "partials/nav-item.html writes only for a page listed in the navigation; the generated "
        "pages are deliberately not listed (the navigation would hold hundreds of them).",
}


def unavailable(reason: str):
    """A missing tool skips the test locally and fails it in CI (as the browser tests do)."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (required because CI is set)", pytrace=False)
    pytest.skip(reason)


def vnu_errors(folder: Path) -> list[dict]:
    """Every error the Nu HTML checker reports on the HTML files under folder (one Java run)."""
    if shutil.which("java") is None:
        unavailable("no Java to run the Nu HTML checker (apt-get install default-jre-headless)")
    if not VNU.is_file():
        unavailable(f"no {VNU.relative_to(REPO)} (npm ci installs vnu-jar from package-lock.json)")
    run = subprocess.run(["java", "-Xss4m", "-jar", str(VNU), "--format", "json", "--errors-only",
                          "--skip-non-html", str(folder)], capture_output=True, text=True, timeout=600)
    report = json.loads(run.stderr or '{"messages": []}')
    return [m for m in report["messages"] if m.get("type") == "error"]


def site_errors(errors: list[dict], site: Path) -> tuple[list[str], set]:
    """The errors that are not the theme's (as 'page:line: message'), and the theme entries seen."""
    seen, own = set(), []
    for m in errors:
        entry = next((k for k in THEME_ERRORS if k[0] == m.get("message") and k[1] in m.get("extract", "")), None)
        if entry:
            seen.add(entry)
        else:
            page = Path(m.get("url", "").removeprefix("file:")).relative_to(site.resolve()).as_posix() \
                if m.get("url", "").startswith("file:") else m.get("url", "?")
            own.append(f"{page}:{m.get('lastLine', '?')}: {m.get('message')} [{m.get('extract', '').strip()[:80]}]")
    return own, seen


def test_nu_html_checker_finds_no_error_of_the_sites_own(site):
    own, seen = site_errors(vnu_errors(site), site)
    assert own == []
    assert set(THEME_ERRORS) - seen == set(), "a listed theme error no page needs any more: remove it"


def test_nu_html_checker_catches_what_the_templates_once_did(site, tmp_path):
    """The checker and the allow-list see a <pre> inside a <p> (every reference page had one)."""
    page = tmp_path / "page.html"
    page.write_text((site / "about.html").read_text(encoding="utf-8").replace(
        "<h1", "<p><pre><code>@article{x}</code></pre></p><h1", 1), encoding="utf-8")
    own, _ = site_errors(vnu_errors(tmp_path), tmp_path)
    assert any("No “p” element in scope but a “p” end tag seen" in e for e in own), own


# ---- every page found, canonical and described ------------------------------------------------

def pages_of(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html") if p.name != "404.html")


@pytest.fixture(scope="module")
def soups(site) -> dict[str, BeautifulSoup]:
    return {rel: BeautifulSoup((site / rel).read_text(encoding="utf-8"), "html.parser") for rel in pages_of(site)}


@pytest.fixture(scope="module")
def site_url() -> str:
    url = load_config(str(REPO / "mkdocs.yml")).site_url
    assert url and url.startswith("https://") and url.endswith("/"), url
    return url


def test_sitemap_lists_every_page(site, site_url):
    listed = re.findall(r"<loc>([^<]+)</loc>", (site / "sitemap.xml").read_text(encoding="utf-8"))
    assert sorted(listed) == sorted(site_url + rel for rel in pages_of(site))


def test_every_page_has_its_canonical_link_and_its_own_description(soups, site_url):
    descriptions: dict[str, str] = {}
    for rel, soup in soups.items():
        canonical = soup.select('head link[rel="canonical"]')
        assert [c["href"] for c in canonical] == [site_url + rel], rel
        meta = soup.select('head meta[name="description"]')
        assert len(meta) == 1 and len(meta[0]["content"]) > 40, rel
        descriptions.setdefault(meta[0]["content"], rel)
        assert descriptions[meta[0]["content"]] == rel, f"{rel} has the description of {descriptions[meta[0]['content']]}"


def test_no_heading_anchor_carries_a_count(soups):
    """A heading that shows a count has an explicit id without it, so that a link to it survives a
    change of the count (`#findings`, not `#findings-12`); and no id was made unique by a suffix."""
    bad = []
    for rel, soup in soups.items():
        for h in soup.select("article :is(h1, h2, h3, h4, h5, h6)[id]"):
            text = h.get_text(" ", strip=True).rstrip("¶").strip()
            if re.search(r"\(\d+\)", text) and re.search(r"\d", h["id"]):
                bad.append(f"{rel}: '{text}' -> #{h['id']}")
            if re.search(r"_\d+$", h["id"]):
                bad.append(f"{rel}: #{h['id']} was made unique by a suffix")
    assert bad == []


def test_no_empty_table_header_cell(soups):
    empty = [f"{rel}: table {i}" for rel, soup in soups.items()
             for i, table in enumerate(soup.select("article table"))
             if any(not th.get_text(strip=True) for th in table.select("th"))]
    assert empty == []


# ---- citations --------------------------------------------------------------------------------

ARTEFACTS = re.compile(r"--|\.\s*\.|\(\)|;\s*[:;]|,\s*[,.]|\b(1[89]|20)\d\d\(|:\s*\.|\s[.,;:]")


def test_reference_citations_read_cleanly_with_en_dash_ranges(soups, site):
    from kb import build  # the data the site was built from

    refs = build.check(site.parent).kb.refs
    bad = []
    for key, ref in refs.items():
        rel = f"references/{bib.slug(key)}.html"
        text = " ".join(soups[rel].select_one("article .kb-citation").get_text().split())
        if ARTEFACTS.search(text):
            bad.append(f"{rel}: {ARTEFACTS.search(text).group(0)!r} in {text!r}")
        first_last = re.fullmatch(r"\s*(\w+)\s*(?:-{1,3}|–)\s*(\w+)\s*", ref.get("pages"))
        if first_last and f"{first_last.group(1)}–{first_last.group(2)}" not in text:
            bad.append(f"{rel}: page range not shown as {first_last.group(1)}–{first_last.group(2)}")
        if ref.get("title").rstrip(".") not in text:
            bad.append(f"{rel}: title missing from {text!r}")
    assert bad == []


BIB = """
@article{full, author = {Lane, Hsien-Yuan and Tsai, Guochuan E.}, title = {A trial}, journal = {J},
  year = {2010}, volume = {13}, number = {4}, pages = {451--460}, doi = {10.1000/x1}}
@article{noissue, author = {Furuya, S. and others}, title = {A method?}, journal = {J}, year = {1998},
  number = {2}, pages = {192-198}}
@article{bare, title = {Only a title}, journal = {J}, year = {2001}}
@online{web, title = {A page}, publisher = {Nootropix}, howpublished = {Blog article}, year = {n.d.},
  url = {https://example.org/p}}
@misc{lost, title = {Unidentified study}, unresolved = {Note 6 of an article.}}
@article{many, author = {A, A and B, B and C, C and D, D and E, E and F, F and G, G},
  title = {Seven authors}, journal = {J}, year = {2020}, volume = {1}, pages = {e5}}
"""


@pytest.fixture(scope="module")
def refs() -> dict:
    found, problems = bib.load_bib("x.bib", BIB)
    assert problems == []
    return found


@pytest.mark.parametrize("key, expected", [
    ("full", "Lane HY, Tsai GE. A trial. J. 2010;13(4):451–460. doi:10.1000/x1."),
    ("noissue", "Furuya S, et al. A method? J. 1998;(2):192–198."),
    ("bare", "Only a title. J. 2001."),
    ("web", "A page. Blog article, Nootropix. n.d. Available from: https://example.org/p"),
    ("lost", "Unidentified study."),
    ("many", "A A, B B, C C, D D, E E, F F, et al. Seven authors. J. 2020;1:e5."),
])
def test_citation_text_leaves_no_trace_of_a_missing_field(refs, key, expected):
    assert " ".join(t for t, _ in cite.citation_text(refs[key])) == expected


def test_csl_json_items_have_an_id_a_type_and_the_fields_given(refs):
    items = {k: cite.csl(r) for k, r in refs.items()}
    assert all(i["id"] == k and i["type"] for k, i in items.items())
    assert items["full"]["page"] == "451-460" and items["full"]["issued"] == {"date-parts": [[2010]]}
    assert items["full"]["author"][0] == {"family": "Lane", "given": "Hsien-Yuan"}
    assert items["web"]["type"] == "webpage" and "issued" not in items["web"]
    assert items["lost"]["type"] == "document" and "could not be identified" in items["lost"]["note"]


# ---- the downloads: exactly the page's references -------------------------------------------

def linked_references(soup: BeautifulSoup, rel: str, keys_by_slug: dict[str, str]) -> set[str]:
    """The references a page cites: every reference page its article links to, and on a
    reference's own page, that reference."""
    cited = set()
    for a in soup.select("article a[href]"):
        path = a["href"].split("#")[0]
        if not path or re.match(r"[a-z][a-z0-9+.-]*:|/", path):
            continue
        m = re.fullmatch(r"references/([a-z0-9-]+)\.html", posixpath.normpath(posixpath.join(posixpath.dirname(rel), path)))
        if m and m.group(1) in keys_by_slug:
            cited.add(keys_by_slug[m.group(1)])
    own = re.fullmatch(r"references/([a-z0-9-]+)\.html", rel)
    if own and own.group(1) in keys_by_slug:
        cited.add(keys_by_slug[own.group(1)])
    return cited


def test_each_pages_downloads_hold_exactly_its_references(soups, site):
    from kb import build

    keys_by_slug = {bib.slug(k): k for k in build.check(site.parent).kb.refs}
    checked = 0
    for rel, soup in soups.items():
        cited = linked_references(soup, rel, keys_by_slug)
        stem = site / rel[: -len(".html")]
        links = [a["href"] for a in soup.select("article a.kb-download")]
        if not cited or "/" not in rel:
            assert not links, f"{rel} offers downloads but cites nothing"
            continue
        assert links == [f"{stem.name}.bib", f"{stem.name}.csl.json"], rel
        library = bibtexparser.parse_file(str(stem) + ".bib")
        assert library.failed_blocks == [], rel
        assert {e.key for e in library.entries} == cited, rel
        items = json.loads(Path(str(stem) + ".csl.json").read_text(encoding="utf-8"))
        assert all(isinstance(i.get("id"), str) and isinstance(i.get("type"), str) and i["type"] for i in items), rel
        assert [i["id"] for i in items] == [e.key for e in library.entries], rel
        checked += 1
    assert checked > 30


# ---- dates, changelog, licence, the disclaimer --------------------------------------------------

def test_disclaimer_says_research_only_once_on_every_page(soups):
    for rel, soup in soups.items():
        boxes = soup.select(".research-only")
        assert len(boxes) == 1, rel
        assert boxes[0].get_text(" ").count("Research only") == 1, rel
        assert "Research only, not medical advice." in boxes[0].select_one("summary").get_text(), rel


def test_data_page_has_a_changelog_and_a_licence_and_about_says_so(soups):
    data = soups["data/index.html"]
    assert data.select_one("#changelog") and data.select_one("#licence")
    releases = data.select("article h3[id^='release-']")
    assert releases and "evidence model v2" in releases[0].get_text().lower()
    licence = data.select_one("#licence").find_next("p").get_text(" ")
    assert "CC BY 4.0" in licence
    assert "CC BY 4.0" in soups["about.html"].select_one("article").get_text(" ")


def test_home_page_says_first_where_findings_come_from_and_how_to_read_a_badge(soups):
    article = soups["index.html"].select_one("article")
    first = article.select_one("h1").find_next("p")
    text = " ".join(first.get_text(" ").split())
    assert "not peer-reviewed" in text and "blog" in text and "vendor" in text, text
    assert sorted(a["href"] for a in first.select("a")) == sorted(
        f"sources/{s}" for s in ("benchchem2025sergly.html", "neurobenefits.html")), text
    how = article.select_one("#how-to-read")
    assert how is not None and how.find_previous("h2") is None, "'How to read a finding' is the first section"
    badges = how.find_next("ul").select("a.kb-badge-link")
    assert badges and all(a["href"].startswith("evidence-types.html#") for a in badges)


def test_page_dates_come_from_git_and_are_the_same_on_a_rebuild(tmp_path):
    """In a git working tree each page shows the date of the newest commit of its data files;
    a rebuild gives byte-identical pages; outside git no page shows a date."""
    root = site_project(tmp_path / "kb", FIXTURES / "tiny")
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.org",
           "-c", "commit.gpgsign=false"]
    env = {**os.environ, "GIT_AUTHOR_DATE": "2001-02-03T04:05:06+00:00",
           "GIT_COMMITTER_DATE": "2001-02-03T04:05:06+00:00"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "data"]):
        subprocess.run(git + args, check=True, env=env, capture_output=True)
    assert mkdocs(root).returncode == 0
    page = root / "site" / "compounds" / "alphamine.html"
    first = page.read_bytes()
    assert b'Data last changed: <time datetime="2001-02-03">3 February 2001</time>' in first
    assert "<lastmod>2001-02-03</lastmod>" in (root / "site" / "sitemap.xml").read_text(encoding="utf-8")
    assert mkdocs(root).returncode == 0
    assert page.read_bytes() == first
    shutil.rmtree(root / ".git")
    assert mkdocs(root).returncode == 0
    assert b"Data last changed" not in page.read_bytes()


def test_a_pages_date_is_the_newest_of_its_own_data_files(tmp_path):
    """A compound's page is made from the compound file, its findings' claim files, the study
    records and references.bib, not from the conditions file; the home page from all of them."""
    from kb import build

    root = site_project(tmp_path / "kb", FIXTURES / "tiny")
    checked = build.check(root)
    files = [p.relative_to(root).as_posix() for p in sorted((root / "claims").rglob("*.yaml"))]
    dates = dict.fromkeys(files, "2001-01-01") | {"references.bib": "2000-01-01"}
    dates[next(c.file for c in checked.kb.claims)] = "2002-02-02"
    dates["claims/entities/conditions.yaml"] = "2004-04-04"
    pages = pagemeta.finish(build.Renderer(checked.kb).render_all(), checked.kb, checked.bib_text, dates)
    assert pages["compounds/alphamine.md"].meta["kb_updated"] == "2002-02-02"
    assert pages["index.md"].meta["kb_updated"] == "2004-04-04"
    assert pages["conditions/gamma-syndrome.md"].meta["kb_updated"] == "2004-04-04"
