"""No script from data ever runs: the hostile fixture's pages, and its search (with either index), in a
real browser."""
from __future__ import annotations

import re

import pytest

from conftest import Watched, serve, typed_search

PAGES = ["compounds/alphamine.html", "references/evil2001.html", "sources/tinysource.html",
         "conditions/gamma-syndrome.html", "evidence-map.html", "index.html", "compounds/index.html"]

# Every element that carries an event-handler attribute, a javascript: link or a frame, and the
# marker the hostile scripts would set.
_INJECTED = """() => ({
  pwned: window.__pwned === undefined ? null : String(window.__pwned),
  handlers: [...document.querySelectorAll('*')].flatMap(el => [...el.attributes]
      .filter(a => a.name.startsWith('on')).map(a => el.tagName + ' ' + a.name)),
  jsLinks: [...document.querySelectorAll('[href],[src]')].map(el => el.getAttribute('href') || el.getAttribute('src'))
      .filter(u => u.trim().toLowerCase().startsWith('javascript:')),
  frames: document.querySelectorAll('iframe, object, embed').length,
})"""


@pytest.fixture(scope="module", params=["one index", "shards"])
def hostile_url(request):
    """The hostile site, with Material's search index and with the index in shards (kb.shards)."""
    yield from serve(request.getfixturevalue("sharded_hostile_site" if request.param == "shards" else "hostile_site"))


@pytest.fixture
def hostile_tab(browser, hostile_url):
    w = Watched(browser, hostile_url, color_scheme="light")
    yield w
    w.close()


def assert_clean(tab: Watched, where: str) -> None:
    found = tab.page.evaluate(_INJECTED)
    assert found == {"pwned": None, "handlers": [], "jsLinks": [], "frames": 0}, where
    assert tab.csp_violations() == [], where
    assert tab.foreign_requests() == [], where


@pytest.mark.parametrize("path", PAGES)
def test_hostile_pages_run_no_script_from_data(hostile_tab, path):
    page = hostile_tab.goto(path)
    page.wait_for_load_state("networkidle")
    for link in page.locator("article a:visible").all()[:40]:
        link.hover(timeout=2000)  # a hostile onmouseover, had it survived, would fire now
    assert_clean(hostile_tab, path)


@pytest.mark.parametrize("query", ["Alpha", "pwned", "script", "onerror", "javascript", "config", "evil"])
def test_hostile_search_results_run_no_script(hostile_tab, query):
    page = hostile_tab.goto("index.html")
    typed_search(page, query)  # waits for the results of the whole query; there may be none
    meta = page.locator(".md-search-result__meta")
    assert meta.is_visible()
    assert re.search(r"(No|\d+) matching document", meta.inner_text()), meta.inner_text()
    for item in page.locator(".md-search-result__link:visible").all()[:10]:
        item.hover(timeout=2000)
    assert_clean(hostile_tab, f"search {query!r}")
