"""The reader's experience of the built site in a real browser: citations, evidence at a glance,
open data, privacy, keyboard use. Expected values come from the data the site was built from."""
from __future__ import annotations

import base64
import os
import re

import pytest

from kb import schema
from kbtest import REPO

EVIDENCE = {re.sub("[^a-z0-9]+", "-", t): label for t, (label, *_) in schema.EVIDENCE_TYPES.items()}
REF_HOSTS = {"doi": "https://doi.org/", "pmid": "https://pubmed.ncbi.nlm.nih.gov/",
             "pmcid": "https://pmc.ncbi.nlm.nih.gov/articles/"}


def slug(key: str) -> str:
    return re.sub("[^a-z0-9]+", "-", key.lower()).strip("-")


def claims_on(page) -> list[dict]:
    return page.locator(".kb-claim").evaluate_all("""els => els.map(c => ({
        id: c.id, evidence: c.dataset.evidence, visible: !!(c.offsetWidth || c.offsetHeight),
        badge: (c.querySelector('.kb-badge') || {}).className || '',
        label: ((c.querySelector('.kb-badge') || {}).textContent || '').trim(),
        icon: !!(c.querySelector('.kb-badge svg path')),
        iconPath: (c.querySelector('.kb-badge svg path') || {getAttribute: () => ''}).getAttribute('d'),
        cited: [...c.querySelectorAll('.kb-meta a[href*="references/"]')].map(a => a.href)}))""")


def busiest(kbdata, kind: str):
    """The entity of a kind with the most evidence types among its claims (then the most claims)."""
    return max(kbdata.entities[kind].values(),
               key=lambda e: (len({c.evidence_type for c in kbdata.claims_of(kind, e.id)}),
                              len(kbdata.claims_of(kind, e.id)), e.id))


# ---- following citations ---------------------------------------------------------------------

def test_one_click_on_an_inline_citation_reaches_the_reference_listing_the_claim(tab, kbdata):
    compound = busiest(kbdata, "compounds")
    page = tab.goto(f"compounds/{compound.slug}.html")
    claims = claims_on(page)
    assert claims and all(c["cited"] for c in claims), "every claim shows its citation inline"
    first = claims[0]
    page.locator(f"#{first['id']} .kb-meta a[href*='references/']").first.click()
    page.wait_for_load_state()
    assert re.search(r"/references/[a-z0-9-]+\.html$", page.url), page.url
    assert page.locator(f".kb-claim#{first['id']}").count() == 1


def test_reference_pages_link_out_list_citing_claims_and_say_when_unresolved(tab, kbdata):
    assert kbdata.refs
    for key, ref in kbdata.refs.items():
        page = tab.goto(f"references/{slug(key)}.html")
        hrefs = page.locator("article a[href^='http']").evaluate_all("els => els.map(a => a.href)")
        for field, host in REF_HOSTS.items():
            has = any(h.startswith(host) for h in hrefs)
            assert has == bool(ref.get(field)), (key, field, ref.get(field))
        citing = sorted(c.id for c in kbdata.by_citation.get(key, []))
        assert sorted(c["id"] for c in claims_on(page)) == citing, key
        warned = page.locator(".admonition.warning:not(.research-only) .admonition-title").all_inner_texts()
        assert ("Study not identified" in warned) == bool(ref.unresolved), key


def test_bibtex_entry_copies_with_one_click(watched, kbdata):
    tab = watched(color_scheme="light", permissions=["clipboard-read", "clipboard-write"])
    key = next(k for k, r in kbdata.refs.items() if r.get("doi")) if any(
        r.get("doi") for r in kbdata.refs.values()) else next(iter(kbdata.refs))
    page = tab.goto(f"references/{slug(key)}.html")
    page.locator("details:has(pre.kb-bibtex) > summary").click()
    copy = page.locator("details pre.kb-bibtex button[title='Copy to clipboard']")
    assert copy.is_visible()
    copy.click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.strip() == page.locator("pre.kb-bibtex code").inner_text().strip()
    assert copied.lstrip().startswith("@") and "{" + key + "," in copied


def test_whole_bibliography_and_open_data_are_downloadable_and_described(tab, site, kbdata):
    page = tab.goto("data/index.html")
    links = {a: page.locator(f"article a[href='{a}']").count() for a in
             ("claims.json", "claims.csv", "claims.schema.json", "references.bib")}
    assert all(links.values()), links
    bib = page.request.get(tab.base + "data/references.bib")
    assert bib.ok and bib.body() == (site.parent / "references.bib").read_bytes()
    records = page.request.get(tab.base + "data/claims.json").json()
    assert [r["id"] for r in records] == [c.id for c in kbdata.claims]
    assert page.request.get(tab.base + "data/claims.schema.json").json()["type"] == "object"
    header = page.request.get(tab.base + "data/claims.csv").text().splitlines()[0].split(",")
    described = set(page.locator("article table td:first-child code").all_inner_texts())
    fields = set(header) | {k for r in records for k in r}
    assert fields - described == set(), "every published field is described on the data page"
    page = tab.goto("references/index.html")
    assert page.locator("article a[href$='data/references.bib']").count() >= 1


# ---- evidence at a glance --------------------------------------------------------------------

def test_every_claim_has_a_text_and_icon_badge_consistent_across_pages(tab, kbdata):
    seen: dict[str, set] = {}
    for kind in ("compounds", "conditions"):
        for e in kbdata.entities[kind].values():
            page = tab.goto(f"{kind}/{e.slug}.html")
            claims = claims_on(page)
            assert len(claims) == len(kbdata.claims_of(kind, e.id)), e.id
            for c in claims:
                assert f"kb-ev-{c['evidence']}" in c["badge"] and c["icon"], (e.id, c)
                assert c["label"] == EVIDENCE[c["evidence"]], (e.id, c)
                seen.setdefault(c["evidence"], set()).add((c["label"], c["iconPath"]))
    assert seen and all(len(v) == 1 for v in seen.values()), seen


@pytest.mark.parametrize("kind", ["compounds", "conditions"])
def test_counts_and_filter_by_evidence_type(tab, kbdata, kind):
    e = busiest(kbdata, kind)
    expected = {}
    for c in kbdata.claims_of(kind, e.id):
        expected[slug(c.evidence_type)] = expected.get(slug(c.evidence_type), 0) + 1
    page = tab.goto(f"{kind}/{e.slug}.html")
    counts = page.locator(".kb-counts").inner_text()
    for t, n in expected.items():
        assert re.search(rf"{re.escape(EVIDENCE[t])}\s*{n}\b", counts), (counts, t, n)
    bar = page.locator("[data-kb-filter]")
    assert bar.is_visible()
    buttons = bar.locator("button")
    assert buttons.count() == len(expected) + 1
    for t, n in expected.items():
        button = bar.locator(f"button[data-kb-type='{t}']")
        assert re.fullmatch(rf"{re.escape(EVIDENCE[t])}\s*{n}", button.inner_text().strip())
        assert button.locator("svg").count() == 1
        button.click()
        assert button.get_attribute("aria-pressed") == "true"
        shown = [c for c in claims_on(page) if c["visible"]]
        assert len(shown) == n and {c["evidence"] for c in shown} == {t}
        assert page.locator(f"h3#{t}-claims").is_visible()
        assert f"{n} of {sum(expected.values())}" in page.locator("[data-kb-filter] [role=status]").inner_text()
    bar.locator("button[data-kb-type='']").click()
    assert all(c["visible"] for c in claims_on(page))


def test_claim_lists_stay_readable_without_javascript(watched, kbdata):
    tab = watched(java_script_enabled=False)
    e = busiest(kbdata, "compounds")
    page = tab.goto(f"compounds/{e.slug}.html")
    assert page.locator("[data-kb-filter]").is_hidden()
    claims = claims_on(page)
    assert claims and all(c["visible"] and c["icon"] for c in claims)


def test_evidence_map_cells_count_by_type_and_link_to_those_claims(tab, kbdata):
    page = tab.goto("evidence-map.html")
    cells = page.locator("article table td a[href*='#with-']").evaluate_all("""els => els.map(a => ({
        href: a.href, type: (a.querySelector('.kb-badge').className.match(/kb-ev-([a-z-]+)/) || [])[1],
        label: a.querySelector('.kb-badge').textContent.trim(), icon: !!a.querySelector('.kb-badge svg'),
        n: parseInt(a.textContent.trim().split(/\\s+/).pop(), 10)}))""")
    expected = {}
    for c in kbdata.claims:
        for comp in c.compounds:
            for cond in c.conditions:
                k = (kbdata.entities["conditions"][cond].slug, kbdata.entities["compounds"][comp].slug,
                     slug(c.evidence_type))
                expected[k] = expected.get(k, 0) + 1
    found = {}
    for cell in cells:
        assert cell["icon"] and cell["label"] == EVIDENCE[cell["type"]], cell
        m = re.search(r"/conditions/([a-z0-9-]+)\.html#with-([a-z0-9-]+)$", cell["href"])
        assert m, cell
        found[(m.group(1), m.group(2), cell["type"])] = cell["n"]
    assert found == expected
    # every link lands: the section exists and lists exactly those claims, each of which is on the page
    hrefs = sorted({c["href"] for c in cells})
    if hrefs:  # a reader's click lands on the condition page, at the compound's section
        page.locator(f"article table td a[href='{hrefs[0][len(tab.base):]}']").first.click()
        page.wait_for_url(hrefs[0])
    for href in hrefs:
        page.goto(href)
        anchor = href.split("#", 1)[1]
        items = page.locator(f"h3#{anchor} + section > ul > li").evaluate_all("""lis => lis.map(li => ({
            type: (li.querySelector('.kb-badge').className.match(/kb-ev-([a-z-]+)/) || [])[1],
            target: li.querySelector('a').getAttribute('href')}))""")
        assert page.locator(f"h3#{anchor}").is_visible()
        cond, comp = re.search(r"conditions/([a-z0-9-]+)\.html#with-(.+)$", href).groups()
        for t in {i["type"] for i in items} | {k[2] for k in expected if k[:2] == (cond, comp)}:
            assert sum(i["type"] == t for i in items) == expected.get((cond, comp, t), 0), (href, t)
        for i in items:
            assert page.locator(f".kb-claim{i['target']}[data-evidence='{i['type']}']").count() == 1, (href, i)


# ---- privacy ---------------------------------------------------------------------------------

def every_kind_of_page(site) -> list[str]:
    pages = ["index.html", "evidence-types.html", "evidence-map.html", "about.html", "404.html",
             "data/index.html"]
    for section in ("compounds", "mechanisms", "conditions", "methods", "sources", "references"):
        members = sorted(p.name for p in (site / section).glob("*.html") if p.name != "index.html")
        pages += [f"{section}/index.html"] + [f"{section}/{name}" for name in members[:1]]
    return pages


def test_no_request_leaves_the_origin_and_the_csp_is_never_violated(watched, site, kbdata):
    for scheme, pages in (("light", every_kind_of_page(site)), ("dark", ["index.html"])):
        tab = watched(color_scheme=scheme)
        for path in pages:
            page = tab.goto(path)
            assert tab.csp_violations() == [], path
        # the search worker and its index load too
        box = page.locator("input.md-search__input")
        box.click()
        box.press_sequentially(next(iter(kbdata.entities["compounds"].values())).name)
        page.locator(".md-search-result__item").first.wait_for()
        page.wait_for_load_state("networkidle")
        assert tab.csp_violations() == []
        assert any("search_index.json" in u for u in tab.requests)
        assert tab.foreign_requests() == []
        assert tab.errors == []


# ---- keyboard --------------------------------------------------------------------------------

def focused(page) -> dict:
    return page.evaluate("""() => { const a = document.activeElement;
        return {tag: a.tagName, cls: a.className || '', type: a.dataset ? (a.dataset.kbType ?? null) : null}; }""")


def test_keyboard_alone_reaches_search_and_the_filter(tab, kbdata):
    e = busiest(kbdata, "compounds")
    page = tab.goto(f"compounds/{e.slug}.html")
    for _ in range(60):
        page.keyboard.press("Tab")
        if "md-search__input" in focused(page)["cls"]:
            break
    else:
        pytest.fail("Tab never reached the search box")
    page.keyboard.type(e.name)
    page.locator(".md-search-result__item").first.wait_for()
    page.keyboard.press("Escape")
    page = tab.goto(f"compounds/{e.slug}.html")
    for _ in range(200):
        page.keyboard.press("Tab")
        f = focused(page)
        if "kb-filter__button" in f["cls"] and f["type"]:
            break
    else:
        pytest.fail("Tab never reached an evidence filter button")
    page.keyboard.press("Enter")
    pressed = page.locator(f"[data-kb-filter] button[data-kb-type='{f['type']}']")
    assert pressed.get_attribute("aria-pressed") == "true"
    assert {c["evidence"] for c in claims_on(page) if c["visible"]} == {f["type"]}
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Space")
    assert page.locator("[data-kb-filter]").get_attribute("data-kb-showing") != f["type"]


# ---- the research-only disclaimer ------------------------------------------------------------

DISCLAIMER = "Research only, not medical advice"  # a fixed phrase: not read from mkdocs.yml


def disclaimer_pages(kbdata) -> list[str]:
    compound = busiest(kbdata, "compounds")
    return ["index.html", f"compounds/{compound.slug}.html", f"references/{slug(next(iter(kbdata.refs)))}.html",
            "evidence-map.html", "data/index.html", "404.html"]


# Seen by a reader: laid out in the viewport's width, not hidden by CSS, and on top where it stands.
_SEEN = """el => {
  el.scrollIntoView({block: "center"});
  const r = el.getBoundingClientRect(), s = getComputedStyle(el);
  const hit = document.elementFromPoint(r.left + Math.min(r.width / 2, 40), r.top + r.height / 2);
  return {width: r.width, height: r.height, left: r.left, right: r.right, viewport: innerWidth,
          display: s.display, visibility: s.visibility, opacity: parseFloat(s.opacity),
          fontSize: parseFloat(s.fontSize), onTop: !!hit && el.contains(hit), text: el.innerText};
}"""


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}],
                         ids=["desktop", "phone"])
def test_disclaimer_is_visible_on_every_kind_of_page(watched, kbdata, viewport):
    tab = watched(color_scheme="light", viewport=viewport, is_mobile=viewport["width"] < 600)
    for path in disclaimer_pages(kbdata):
        page = tab.page
        response = page.goto(tab.base + path)
        assert response is not None and (response.ok or path == "404.html"), path
        box = page.locator(".research-only")
        assert box.count() == 1, path
        assert box.is_visible(), path
        seen = box.evaluate(_SEEN)
        assert DISCLAIMER in " ".join(seen["text"].split()), (path, seen["text"])
        assert seen["display"] != "none" and seen["visibility"] == "visible" and seen["opacity"] > 0.5, (path, seen)
        assert seen["width"] > 200 and seen["height"] > 20 and seen["fontSize"] >= 10, (path, seen)
        assert seen["left"] >= 0 and seen["right"] <= seen["viewport"] + 1, (path, seen)
        assert seen["onTop"], (path, seen)


# ---- the README's screenshot -----------------------------------------------------------------

# A PNG's size and what it shows, measured by the browser's own decoder on a blank page: the most
# common colour (the background), the share of other pixels, and the number of distinct colours.
_MEASURE = """async b64 => {
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  const image = await createImageBitmap(new Blob([bytes], {type: "image/png"}));
  const canvas = new OffscreenCanvas(image.width, image.height), ctx = canvas.getContext("2d");
  ctx.drawImage(image, 0, 0);
  const data = ctx.getImageData(0, 0, image.width, image.height).data, counts = new Map();
  let n = 0;
  for (let i = 0; i < data.length; i += 4 * 7) { n++; const k = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    counts.set(k, (counts.get(k) || 0) + 1); }
  return {width: image.width, height: image.height, ink: 1 - Math.max(...counts.values()) / n, colours: counts.size};
}"""


def measure_png(browser_page, png: bytes) -> dict:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    blank = browser_page.context.new_page()
    try:
        return blank.evaluate(_MEASURE, base64.b64encode(png).decode())
    finally:
        blank.close()


def test_compound_page_screenshot(tab, kbdata):
    """With KB_SCREENSHOT=1, saves the screenshot the README shows: the page as a reader sees it
    (title, disclaimer, badges, the working filter), a full-width picture with real content."""
    e = kbdata.entities["compounds"].get("sarcosine") or busiest(kbdata, "compounds")
    page = tab.goto(f"compounds/{e.slug}.html")
    page.wait_for_load_state("networkidle")
    assert " ".join(page.locator("article h1").inner_text().split()).startswith(e.name)
    assert page.locator(".research-only").is_visible()
    assert page.locator("[data-kb-filter]").is_visible()  # the page's script ran
    claims = claims_on(page)
    assert claims and all(c["visible"] and c["icon"] for c in claims)
    top = page.locator("article h1").bounding_box()["y"]
    shot = page.screenshot(full_page=True, clip={"x": 0, "y": max(0, top - 30), "width": 1280, "height": 1500})
    shown = measure_png(page, shot)
    assert shown["width"] == 1280 and shown["height"] >= 800, shown
    assert 0.03 < shown["ink"] < 0.9, shown  # text and badges on a page, not a blank or solid picture
    assert shown["colours"] > 50, shown  # anti-aliased text and coloured badges
    if os.environ.get("KB_SCREENSHOT"):
        (REPO / "docs" / "assets" / "screenshot-compound.png").write_bytes(shot)


def test_compound_page_bottom_line_screenshot_on_a_phone(tab, kbdata):
    """With KB_SCREENSHOT=1, saves the README's phone picture: a compound's bottom line at 390 px,
    its cards readable without sideways scrolling."""
    e = kbdata.entities["compounds"].get("sarcosine") or busiest(kbdata, "compounds")
    tab.page.set_viewport_size({"width": 390, "height": 844})
    page = tab.goto(f"compounds/{e.slug}.html")
    page.wait_for_load_state("networkidle")
    heading = page.locator("#bottom-line")
    cards = page.locator(".kb-bottom")
    assert heading.is_visible() and cards.count() >= 1
    for i in range(cards.count()):
        box = cards.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    top = heading.bounding_box()["y"] + page.evaluate("window.scrollY")
    shot = page.screenshot(full_page=True, clip={"x": 0, "y": max(0, top - 10), "width": 390, "height": 1100})
    shown = measure_png(page, shot)
    assert shown["width"] == 390 and shown["height"] >= 800, shown
    assert 0.03 < shown["ink"] < 0.9 and shown["colours"] > 50, shown
    if os.environ.get("KB_SCREENSHOT"):
        (REPO / "docs" / "assets" / "screenshot-compound-phone.png").write_bytes(shot)
