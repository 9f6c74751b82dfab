"""Search, as a reader uses it: typing into the site's search box of the served, offline site."""
from __future__ import annotations

import pytest

from conftest import page_path

TOP = 3  # "among the first results"

# Marks the time of the last keystroke and of the last change of the result list, so that a test
# waits for the results of what it typed, not those of an earlier, partial query.
_TRACK = """() => {
  if (window.__kbTrack) return;
  window.__kbTrack = {key: 0, change: 0};
  const input = document.querySelector("input.md-search__input");
  input.addEventListener("keyup", () => { window.__kbTrack.key = performance.now(); }, true);
  new MutationObserver(() => { window.__kbTrack.change = performance.now(); })
    .observe(document.querySelector(".md-search-result"), {childList: true, subtree: true, characterData: true});
}"""
_SETTLED = """() => {
  const t = window.__kbTrack;
  return t.change > t.key && performance.now() - t.change > 120;
}"""


def search(page, base: str, query: str) -> list[str]:
    """Type query into the search box; return the result pages, best first, without duplicates."""
    page.evaluate(_TRACK)
    box = page.locator("input.md-search__input")
    box.click()
    box.fill(query[:-1])  # paste all but the last character, then type it: one search, not one per key
    box.press_sequentially(query[-1])
    page.wait_for_function(_SETTLED, timeout=10_000)
    hrefs = page.locator(".md-search-result__item > a.md-search-result__link").evaluate_all(
        "els => els.map(e => e.href)")
    return list(dict.fromkeys(page_path(h, base) for h in hrefs))


def names_of(entity) -> list[str]:
    ids = entity.data.get("identifiers") or {}
    return [entity.name, *(entity.data.get("synonyms") or []),
            *(str(ids[k]) for k in ("pubchem_cid", "cas", "chebi") if ids.get(k))]


@pytest.fixture(scope="module")
def search_tab(browser, base_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(base_url + "index.html")
    yield page
    context.close()


def test_every_name_synonym_and_identifier_of_a_compound_finds_its_page(search_tab, base_url, kbdata):
    misses = []
    compounds = list(kbdata.entities["compounds"].values())
    assert compounds
    for e in compounds:
        target = f"compounds/{e.slug}.html"
        for query in names_of(e):
            results = search(search_tab, base_url, query)
            if target not in results[:TOP]:
                misses.append((query, target, results[:TOP]))
    assert misses == []


@pytest.mark.parametrize("query, kind", [("N-methylglycine", "compounds"), ("serylglycine", "compounds"),
                                         ("GlyT1", "mechanisms"), ("107-97-1", "compounds")])
def test_the_issue_examples_rank_their_page_first(search_tab, base_url, kbdata, query, kind):
    owners = [e for e in kbdata.entities[kind].values() if query.lower() in map(str.lower, names_of(e))]
    if not owners:
        pytest.skip(f"no {kind[:-1]} is called {query} in the current data")
    results = search(search_tab, base_url, query)
    assert results and results[0] == f"{kind}/{owners[0].slug}.html", results[:5]


def test_mechanism_and_condition_pages_are_found_by_their_names(search_tab, base_url, kbdata):
    misses = []
    for kind in ("mechanisms", "conditions"):
        for e in kbdata.entities[kind].values():
            results = search(search_tab, base_url, e.name)
            if f"{kind}/{e.slug}.html" not in results[:TOP]:
                misses.append((e.name, results[:TOP]))
    assert misses == []


def test_compound_pages_rank_above_passing_mentions(search_tab, base_url, kbdata):
    """A compound's own page comes before every page that merely mentions it."""
    for e in kbdata.entities["compounds"].values():
        results = search(search_tab, base_url, e.name)
        own = results.index(f"compounds/{e.slug}.html")
        passing = [r for r in results[:own] if not r.startswith(("compounds/", "mechanisms/", "conditions/"))
                   or r.endswith("/index.html")]
        assert passing == [], (e.name, results[:own + 1])
