"""The built site in a real browser: Debian's Chromium driven by Playwright, over a static server.

The site is the session's one real `mkdocs build --strict` (the `site` fixture of tests/conftest.py),
served by Python's plain http.server on 127.0.0.1. No browser is ever downloaded: the tests use
/usr/bin/chromium. Without it (or without Playwright, or axe-core for the accessibility tests) the
tests skip with the reason; with CI set they fail instead.
"""
from __future__ import annotations

import functools
import http.server
import os
import re
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from kb import build
from kbtest import REPO

CHROMIUM = Path(os.environ.get("KB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"


def unavailable(reason: str):
    """A missing tool skips the test locally and fails it in CI."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (required because CI is set)", pytrace=False)
    pytest.skip(reason)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def serve(directory: Path):
    """A built site served by a plain static file server on a free port of 127.0.0.1."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def base_url(site) -> str:  # noqa: F811
    yield from serve(site)


@pytest.fixture(scope="session")
def kbdata(site):  # noqa: F811
    """The knowledge base the site was built from (the copy, not the live tree curators edit)."""
    return build.check(site.parent).kb


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        unavailable(f"no browser at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright is not installed (pip install -e '.[test]')")
    pw = sync_playwright().start()
    try:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
    except Exception as exc:  # a broken install: say why, then skip or fail
        pw.stop()
        unavailable(f"Chromium at {CHROMIUM} does not start: {exc}")
    yield chromium
    chromium.close()
    pw.stop()


# Records what a page does that the tests forbid: a request to another origin, a Content-Security-
# Policy violation, a console error. The listener is added by CDP before any page script runs.
_WATCH = """
window.__kbCsp = [];
document.addEventListener("securitypolicyviolation", e => {
  window.__kbCsp.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline"));
});
"""


class Watched:
    """A browser context whose every request and console error is recorded."""

    def __init__(self, browser, base_url: str, **options):
        self.base = base_url
        self.origin = "{0.scheme}://{0.netloc}".format(urlsplit(base_url))
        self.context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **options})
        self.context.add_init_script(_WATCH)
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.context.on("request", lambda r: self.requests.append(r.url))
        self.page = self.context.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def goto(self, path: str):
        response = self.page.goto(self.base + path.lstrip("/"))
        assert response is not None and response.ok, (path, response and response.status)
        return self.page

    def foreign_requests(self) -> list[str]:
        return [u for u in self.requests
                if not (u.startswith(self.origin + "/") or u.startswith(("data:", "blob:")))]

    def csp_violations(self) -> list[str]:
        reported = self.page.evaluate("window.__kbCsp || []")
        return reported + [e for e in self.errors if "Content Security Policy" in e]

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def watched(browser, base_url):
    made: list[Watched] = []

    def make(**options) -> Watched:
        made.append(Watched(browser, base_url, **options))
        return made[-1]

    yield make
    for w in made:
        w.close()


@pytest.fixture
def tab(watched) -> Watched:
    """One recorded browser tab in the light scheme."""
    return watched(color_scheme="light")


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


def typed_search(page, query: str) -> None:
    """Type query into the site's search box and wait until the results of the whole query are
    shown (the result list changed after the last keystroke, then stayed still): no fixed wait."""
    page.evaluate(_TRACK)
    box = page.locator("input.md-search__input")
    box.click()
    box.fill(query[:-1])  # paste all but the last character, then type it: one search, not one per key
    box.press_sequentially(query[-1])
    page.wait_for_function(_SETTLED, timeout=10_000)


def page_path(url: str, base: str) -> str:
    """'compounds/sarcosine.html' from a full URL of the served site, without query or fragment."""
    return re.sub(r"[?#].*$", "", url[len(base):] if url.startswith(base) else url)
