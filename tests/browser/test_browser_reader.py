"""What a reader sees on a phone and on a desktop: the evidence map and the index tables fit the
screen with every badge and its count whole, and the evidence filters keep their state in the
address (a filtered view can be shared, reloads as shared, and back and forward step through it)."""
from __future__ import annotations

import re

import pytest

from kb import schema

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
TYPES = [re.sub("[^a-z0-9]+", "-", t) for t in schema.EVIDENCE_ORDER]


def at(watched, viewport: dict, scheme: str = "light"):
    """A recorded tab of the given size and colour scheme."""
    tab = watched(color_scheme=scheme)
    tab.page.set_viewport_size(viewport)
    return tab


def slug(text: str) -> str:
    return re.sub("[^a-z0-9]+", "-", text.lower()).strip("-")


def map_cells(kbdata) -> dict[tuple[str, str, str], int]:
    """(condition slug, compound slug, evidence type) -> number of findings, from the data."""
    expected: dict[tuple[str, str, str], int] = {}
    for c in kbdata.claims:
        for comp in dict.fromkeys(c.compounds):
            for cond in dict.fromkeys(c.conditions):
                k = (kbdata.entities["conditions"][cond].slug, kbdata.entities["compounds"][comp].slug,
                     slug(c.evidence_type))
                expected[k] = expected.get(k, 0) + 1
    return expected


# For every badge-and-count unit on the page (.kb-map-entry: an evidence badge or a verdict chip, and
# its count): where it is, whether an ancestor that clips (overflow other than visible) cuts it, and
# whether its count sits on the badge's line.
_ENTRIES = """() => [...document.querySelectorAll('article .kb-map-entry')].map(e => {
  const r = e.getBoundingClientRect();
  let clipped = false;
  for (let a = e.parentElement; a && a !== document.documentElement; a = a.parentElement) {
    const s = getComputedStyle(a);
    if (s.overflowX !== 'visible' || s.overflowY !== 'visible') {
      const b = a.getBoundingClientRect();
      if (r.left < b.left - 0.5 || r.right > b.right + 0.5) clipped = true;
    }
  }
  const badge = e.querySelector('.kb-badge, .kb-verdict').getBoundingClientRect();
  const texts = [...e.childNodes].filter(n => n.nodeType === 3 && n.textContent.trim());
  const countNode = e.querySelector('.kb-map-entry__n') || texts[texts.length - 1];
  const range = document.createRange();
  range.selectNodeContents(countNode);
  const count = range.getBoundingClientRect();
  return {text: e.textContent.trim().replace(/\\s+/g, ' '), left: r.left, right: r.right,
          visible: !!(e.offsetWidth || e.offsetHeight), clipped,
          sameLine: Math.abs((badge.top + badge.bottom) / 2 - (count.top + count.bottom) / 2) < badge.height / 2
                    && count.left >= badge.right - 1};
})"""

_PAGE_SCROLLS_SIDEWAYS = "document.documentElement.scrollWidth > document.documentElement.clientWidth"

# Words of the map's compound and condition names that are broken across lines (a squeezed column).
_BROKEN_WORDS = """() => [...document.querySelectorAll('article .kb-map a:not(.kb-map-entry)')].flatMap(a => {
  const node = a.firstChild;
  if (!node || node.nodeType !== 3) return [];
  const out = [], re = /[^\\s\\-\u2013]+/g;
  let m;
  while ((m = re.exec(node.textContent))) {
    const r = document.createRange();
    r.setStart(node, m.index);
    r.setEnd(node, m.index + m[0].length);
    if (new Set([...r.getClientRects()].map(x => Math.round(x.top))).size > 1) out.push(a.textContent + ': ' + m[0]);
  }
  return out;
})"""


def assert_entries_whole(page, width: int, where: str) -> list[dict]:
    entries = page.evaluate(_ENTRIES)
    assert entries, f"{where}: no badge-and-count on the page"
    bad = [e for e in entries if e["visible"] and (e["left"] < 0 or e["right"] > width or e["clipped"]
                                                   or not e["sameLine"])]
    assert bad == [], f"{where} at {width}px: {bad[:5]}"
    assert not page.evaluate(_PAGE_SCROLLS_SIDEWAYS), f"{where} at {width}px scrolls sideways"
    return entries


# ---- the evidence map, on a phone and on a desktop --------------------------------------------

@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_evidence_map_counts_are_whole_and_on_screen(watched, kbdata, viewport):
    tab = at(watched, viewport, "light")
    page = tab.goto("evidence-map.html")
    entries = assert_entries_whole(page, viewport["width"], "evidence map")
    assert all(e["visible"] for e in entries)
    assert len(entries) == len(map_cells(kbdata))
    assert page.evaluate(_BROKEN_WORDS) == [], "names stay whole words"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("path", ["compounds/index.html", "conditions/index.html", "mechanisms/index.html",
                                  "methods/index.html", "sources/index.html", "busiest compound", "busiest condition"])
def test_index_tables_keep_badge_and_count_together_on_screen(watched, kbdata, viewport, path):
    if path.startswith("busiest"):  # an entity page's bottom line holds badge-and-counts too
        kind = path.split()[1] + "s"
        path = f"{kind}/{busiest(kbdata, kind).slug}.html"
    tab = at(watched, viewport, "light")
    page = tab.goto(path)
    assert_entries_whole(page, viewport["width"], path)


# Every map row and entry with what it shows now.
_MAP_STATE = """() => ({
  rows: [...document.querySelectorAll('.kb-map__pair')].filter(r => r.offsetWidth || r.offsetHeight)
        .map(r => r.querySelector('.kb-map-entry').getAttribute('href')),
  types: [...new Set([...document.querySelectorAll('.kb-map-entry')].filter(e => e.offsetWidth || e.offsetHeight)
        .map(e => e.dataset.evidence))],
  pressed: (document.querySelector("[data-kb-filter] button[aria-pressed='true']") || {dataset: {}}).dataset.kbType,
})"""


def map_state(page) -> dict:
    return page.evaluate(_MAP_STATE)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_evidence_map_filters_by_type_in_the_address(watched, kbdata, viewport):
    tab = at(watched, viewport, "dark")
    cells = map_cells(kbdata)
    present = [t for t in TYPES if any(k[2] == t for k in cells)]
    if len(present) < 2:
        pytest.skip("the map needs two evidence types to filter")
    page = tab.goto("evidence-map.html")
    everything = map_state(page)
    assert everything["pressed"] == "" and set(everything["types"]) == set(present)
    for t in present:
        page.locator(f"[data-kb-filter] button[data-kb-type='{t}']").click()
        state = map_state(page)
        assert state["types"] == [t], (t, state["types"])
        assert len(state["rows"]) == sum(1 for k in cells if k[2] == t), t
        assert page.url.endswith(f"evidence-map.html?evidence={t}"), page.url
        assert_entries_whole(page, viewport["width"], f"evidence map filtered to {t}")
    last = present[-1]
    page.reload()
    assert map_state(page)["types"] == [last] and map_state(page)["pressed"] == last
    page.go_back()
    page.wait_for_function(f"() => document.querySelector(\"[data-kb-filter]\").dataset.kbShowing === '{present[-2]}'")
    assert map_state(page)["types"] == [present[-2]]
    for _ in present[:-1]:
        page.go_back()
    page.wait_for_function("() => document.querySelector('[data-kb-filter]').dataset.kbShowing === 'all'")
    assert map_state(page)["rows"] == everything["rows"] and "evidence=" not in page.url
    page.go_forward()
    page.wait_for_function(f"() => document.querySelector('[data-kb-filter]').dataset.kbShowing === '{present[0]}'")
    assert map_state(page)["types"] == [present[0]]
    assert tab.errors == [] and tab.csp_violations() == []


# ---- a claim list's filter lives in the address -----------------------------------------------

def busiest(kbdata, kind: str = "compounds"):
    return max(kbdata.entities[kind].values(),
               key=lambda e: (len({c.evidence_type for c in kbdata.claims_of(kind, e.id)}),
                              len(kbdata.claims_of(kind, e.id)), e.id))


_CLAIMS = """() => ({
  shown: [...new Set([...document.querySelectorAll('.kb-claim')].filter(c => c.offsetWidth || c.offsetHeight)
          .map(c => c.dataset.evidence))],
  count: [...document.querySelectorAll('.kb-claim')].filter(c => c.offsetWidth || c.offsetHeight).length,
  showing: (document.querySelector('[data-kb-filter]') || {dataset: {}}).dataset.kbShowing,
})"""


def claims_state(page) -> dict:
    return page.evaluate(_CLAIMS)


def wait_showing(page, what: str) -> None:
    page.wait_for_function(f"() => document.querySelector('[data-kb-filter]').dataset.kbShowing === '{what}'")


def test_a_filtered_claim_list_is_shared_by_its_address(watched, kbdata):
    e = busiest(kbdata)
    claims = kbdata.claims_of("compounds", e.id)
    types = [t for t in TYPES if any(slug(c.evidence_type) == t for c in claims)]
    if len(types) < 2:
        pytest.skip("the busiest compound needs two evidence types to filter")
    first, second = types[0], types[1]
    path = f"compounds/{e.slug}.html"
    tab = at(watched, PHONE, "light")
    page = tab.goto(path)
    page.locator(f"[data-kb-filter] button[data-kb-type='{first}']").click()
    assert page.url.endswith(f"{path}?evidence={first}")
    page.locator(f"[data-kb-filter] button[data-kb-type='{second}']").click()
    assert page.url.endswith(f"{path}?evidence={second}")
    assert claims_state(page)["shown"] == [second]

    page.reload()  # reloads as shared
    assert claims_state(page)["shown"] == [second]
    assert page.locator(f"[data-kb-filter] button[data-kb-type='{second}']").get_attribute("aria-pressed") == "true"

    page.go_back()
    wait_showing(page, first)
    assert claims_state(page)["shown"] == [first] and page.url.endswith(f"?evidence={first}")
    page.go_back()
    wait_showing(page, "all")
    assert claims_state(page)["count"] == len(claims) and page.url.endswith(path)
    page.go_forward()
    wait_showing(page, first)
    assert claims_state(page)["shown"] == [first]

    # leave for a citation, come back: still filtered
    page.locator(".kb-claim:visible .kb-meta a[href*='references/']").first.click()
    page.wait_for_url(re.compile(r"/references/"))
    page.go_back()
    page.wait_for_url(re.compile(rf"{re.escape(path)}\?evidence={first}$"))
    wait_showing(page, first)
    assert claims_state(page)["shown"] == [first]

    # a fresh reader opening the shared address sees the same view, in the dark scheme too
    other = at(watched, DESKTOP, "dark")
    shared = other.goto(f"{path}?evidence={second}")
    assert claims_state(shared)["shown"] == [second]
    assert claims_state(shared)["count"] == sum(slug(c.evidence_type) == second for c in claims)
    assert tab.errors == [] and other.errors == []


def test_a_claim_anchor_survives_the_filter(watched, kbdata):
    e = busiest(kbdata)
    claims = kbdata.claims_of("compounds", e.id)
    types = [t for t in TYPES if any(slug(c.evidence_type) == t for c in claims)]
    if len(types) < 2:
        pytest.skip("the busiest compound needs two evidence types")
    mine = next(c for c in claims if slug(c.evidence_type) == types[0])
    other = next(c for c in claims if slug(c.evidence_type) == types[1])
    path = f"compounds/{e.slug}.html"
    tab = at(watched, PHONE, "light")

    page = tab.goto(f"{path}?evidence={types[0]}#{mine.id}")  # the claim is of the chosen type
    assert claims_state(page)["shown"] == [types[0]]
    assert page.locator(f"#{mine.id}").is_visible()
    assert page.evaluate("location.hash") == f"#{mine.id}"

    page.goto("about:blank")  # a new load, not a jump within the page
    page = tab.goto(f"{path}?evidence={types[0]}#{other.id}")  # it is not: the claim wins
    assert page.locator(f"#{other.id}").is_visible()
    assert claims_state(page)["showing"] == "all"
    assert page.evaluate("location.search") == "" and page.evaluate("location.hash") == f"#{other.id}"

    page = tab.goto(f"{path}?evidence=no-such-type")  # a type the page lacks shows everything
    assert claims_state(page)["count"] == len(claims)


# ---- the phone layout stays accessible ---------------------------------------------------------

@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_phone_layouts_have_no_serious_axe_violations(watched, kbdata, scheme):
    """The map's cards, the index tables' blocks and a filtered view, checked by axe-core at 390 px."""
    from conftest import AXE, unavailable
    if not AXE.is_file():
        unavailable(f"axe-core is not installed at {AXE} (npm ci)")
    axe = AXE.read_text(encoding="utf-8")
    tab = watched(color_scheme=scheme, bypass_csp=True)  # bypass_csp: axe is injected by content
    tab.page.set_viewport_size(PHONE)
    present = [t for t in TYPES if any(k[2] == t for k in map_cells(kbdata))]
    paths = ["evidence-map.html", "compounds/index.html", "conditions/index.html"]
    if present:
        paths.append(f"evidence-map.html?evidence={present[-1]}")
    problems = []
    for path in paths:
        page = tab.goto(path)
        page.add_script_tag(content=axe)
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        problems += [(path, v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
                     if v["impact"] in ("serious", "critical")]
    assert problems == []
