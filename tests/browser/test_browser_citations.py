"""Citations a researcher can reuse, in a real browser: a finding's permalink lands on it; the
page's references download as BibTeX and CSL-JSON that real parsers read and that hold exactly the
references the page cites; "Cite this page" gives a citation and a BibTeX entry of the page; the
trail shows where a page sits; the disclaimer takes one line of a phone's screen."""
from __future__ import annotations

import json
import re
from pathlib import Path

import bibtexparser
import pytest

from conftest import page_path

# CSL 1.0.2's item types (https://docs.citationstyles.org/en/stable/specification.html#appendix-iii-types)
CSL_TYPES = {
    "article", "article-journal", "article-magazine", "article-newspaper", "bill", "book", "broadcast",
    "chapter", "classic", "collection", "dataset", "document", "entry", "entry-dictionary",
    "entry-encyclopedia", "event", "figure", "graphic", "hearing", "interview", "legal_case",
    "legislation", "manuscript", "map", "motion_picture", "musical_score", "pamphlet",
    "paper-conference", "patent", "performance", "periodical", "personal_communication", "post",
    "post-weblog", "regulation", "report", "review", "review-book", "software", "song", "speech",
    "standard", "thesis", "treaty", "webpage",
}


def slug(key: str) -> str:
    return re.sub("[^a-z0-9]+", "-", key.lower()).strip("-")


def busiest(kbdata, kind: str):
    return max(kbdata.entities[kind].values(), key=lambda e: (len(kbdata.claims_of(kind, e.id)), e.id))


def cited_on(page, base: str, kbdata) -> set[str]:
    """The references the page shows: every reference page its article links to, and on a
    reference's own page, that reference."""
    keys = {slug(k): k for k in kbdata.refs}
    hrefs = page.locator("article a[href]").evaluate_all("els => els.map(a => a.href)")
    found = {keys[m.group(1)] for h in hrefs
             if (m := re.search(r"/references/([a-z0-9-]+)\.html$", h.split("#")[0])) and m.group(1) in keys}
    own = re.fullmatch(r"references/([a-z0-9-]+)\.html", page_path(page.url, base))
    if own and own.group(1) in keys:
        found.add(keys[own.group(1)])
    return found


def download(page, selector: str, tmp_path: Path) -> Path:
    with page.expect_download() as info:
        page.locator(selector).click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    return target


# ---- permalinks ------------------------------------------------------------------------------

@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}],
                         ids=["desktop", "phone"])
def test_a_findings_permalink_scrolls_to_it(watched, kbdata, viewport):
    tab = watched(color_scheme="light", viewport=viewport)
    e = busiest(kbdata, "compounds")
    page = tab.goto(f"compounds/{e.slug}.html")
    last = page.locator(".kb-claim").last
    claim_id = last.get_attribute("id")
    link = last.locator(f".kb-permalink a[href='#{claim_id}']")
    assert link.is_visible() and link.inner_text().strip() == "Permalink"
    page.evaluate("window.scrollTo(0, 0)")
    link.click()
    page.wait_for_function(f"location.hash === '#{claim_id}'")
    page.wait_for_function(f"""() => {{ const r = document.getElementById({json.dumps(claim_id)}).getBoundingClientRect();
        return r.top >= 0 && r.top < innerHeight / 2; }}""")
    header = page.locator("header.md-header").bounding_box()
    assert last.bounding_box()["y"] >= header["y"] + header["height"] - 1, "the finding is not under the header"
    # the address, opened afresh from another page, lands on the same finding
    tab.goto("index.html")
    fresh = tab.goto(f"compounds/{e.slug}.html#{claim_id}")
    fresh.wait_for_function(f"""() => {{ const r = document.getElementById({json.dumps(claim_id)}).getBoundingClientRect();
        return r.top >= 0 && r.top < innerHeight / 2; }}""")
    assert fresh.evaluate("document.querySelector(':target').id") == claim_id


def test_every_finding_on_a_page_has_its_own_permalink(tab, kbdata):
    e = busiest(kbdata, "compounds")
    page = tab.goto(f"compounds/{e.slug}.html")
    pairs = page.locator(".kb-claim").evaluate_all(
        "els => els.map(c => [c.id, c.querySelector('.kb-permalink a')?.getAttribute('href')])")
    assert pairs and all(href == f"#{i}" for i, href in pairs), pairs


# ---- the page's references, downloaded -------------------------------------------------------

def pages_with_references(kbdata) -> list[str]:
    compound = busiest(kbdata, "compounds")
    source = busiest(kbdata, "sources")
    study = next(k for k in sorted(kbdata.by_citation) if kbdata.study(k))
    unresolved = next((k for k in sorted(kbdata.refs) if kbdata.refs[k].unresolved), study)
    return [f"compounds/{compound.slug}.html", f"sources/{source.slug}.html", f"references/{slug(study)}.html",
            f"references/{slug(unresolved)}.html", "references/index.html"]


def test_downloaded_bibtex_and_csl_json_hold_exactly_the_pages_references(tab, kbdata, tmp_path):
    for path in pages_with_references(kbdata):
        page = tab.goto(path)
        expected = cited_on(page, tab.base, kbdata)
        assert expected, path
        note = " ".join(page.locator(".kb-page-foot").inner_text().split())
        assert f"Download the {len(expected)} reference" in note, (path, note)
        bib = download(page, "a.kb-download[href$='.bib']", tmp_path / slug(path))
        library = bibtexparser.parse_string(bib.read_text(encoding="utf-8"))
        assert library.failed_blocks == [] and len(library.entries) == len(expected), path
        assert {e.key for e in library.entries} == expected, path
        for e in library.entries:
            assert e.fields_dict["title"].value, (path, e.key)
        items = json.loads(download(page, "a.kb-download[href$='.csl.json']", tmp_path / slug(path)).read_text(encoding="utf-8"))
        assert isinstance(items, list) and len(items) == len(expected), path
        for item in items:
            assert isinstance(item.get("id"), str) and item.get("type") in CSL_TYPES, (path, item)
            assert isinstance(item.get("title"), str) and item["title"], (path, item)
        assert {i["id"] for i in items} == expected, path


# ---- cite this page ----------------------------------------------------------------------------

def test_cite_this_page_gives_a_citation_and_a_bibtex_entry_of_the_page(tab, kbdata):
    for path in ["index.html", f"compounds/{busiest(kbdata, 'compounds').slug}.html", "about.html"]:
        page = tab.goto(path)
        box = page.locator("details.kb-cite")
        assert box.count() == 1, path
        box.locator("summary").click()
        canonical = page.locator("head link[rel=canonical]").get_attribute("href")
        title = " ".join(page.locator("article h1").inner_text().replace("¶", "").split())
        text = " ".join(box.locator(".kb-cite__text").inner_text().split())
        assert text.startswith(title) and canonical in text, (path, text)
        entry = box.locator("pre code").inner_text()
        library = bibtexparser.parse_string(entry)
        assert library.failed_blocks == [] and len(library.entries) == 1, (path, entry)
        fields = library.entries[0].fields_dict
        assert fields["url"].value == canonical and fields["title"].value == title, (path, entry)


# ---- where a page sits, and the disclaimer on a phone ------------------------------------------

def test_the_trail_names_the_section_of_a_compound_reference_and_source_page(tab, kbdata):
    for kind, section in (("compounds", "Compounds"), ("references", "References"), ("sources", "Sources")):
        if kind == "references":
            path = f"references/{slug(next(iter(sorted(kbdata.refs))))}.html"
        else:
            path = f"{kind}/{busiest(kbdata, kind).slug}.html"
        page = tab.goto(path)
        trail = page.locator("nav.kb-breadcrumbs[aria-label=Breadcrumb]")
        assert trail.is_visible(), path
        links = trail.locator("a").evaluate_all("els => els.map(a => [a.textContent.trim(), a.getAttribute('href')])")
        assert links == [["Home", "../index.html"], [section, "index.html"]], (path, links)
        current = trail.locator("[aria-current=page]").inner_text()
        assert " ".join(current.split()) == " ".join(page.locator("article h1").inner_text().replace("¶", "").split())


def test_disclaimer_takes_one_line_of_a_phone_screen_and_opens_in_full(watched, kbdata):
    tab = watched(color_scheme="light", viewport={"width": 390, "height": 844}, is_mobile=True)
    for path in ["index.html", f"compounds/{busiest(kbdata, 'compounds').slug}.html"]:
        page = tab.goto(path)
        box = page.locator(".research-only")
        size = box.bounding_box()
        assert size["height"] <= 56, (path, size)
        visible = " ".join(box.inner_text().split())
        assert visible.count("Research only") == 1, visible
        box.locator("summary").click()
        opened = " ".join(box.inner_text().split())
        assert opened.count("Research only") == 1 and "clinician" in opened, opened
