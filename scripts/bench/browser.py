"""Job 6: search as a reader meets it, in Chromium: milliseconds from typing a query into the
search box of a built site (served on 127.0.0.1) to its first result shown, and the bytes the
browser fetched for search meanwhile. Debian's /usr/bin/chromium, driven by Playwright (the test
dependencies); without them the job is skipped with the reason.

Typing starts at the first key's keydown and the result is shown when the first result item enters
the page, both read on the page's own clock (performance.now()), so that Playwright's round trips
are not counted; the time from the click on the search box, by the wall clock, is reported too."""
from __future__ import annotations

import functools
import http.server
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

CHROMIUM = Path(os.environ.get("KB_CHROMIUM", "/usr/bin/chromium"))
QUERY = "sarcosine"
# The page's own clock: the first keydown, and the first result item in the page.
WATCH = """
window.__kbBench = {};
document.addEventListener("keydown", () => { window.__kbBench.typed ??= performance.now(); }, true);
new MutationObserver(() => {
  if (window.__kbBench.shown === undefined && document.querySelector(".md-search-result__item")) {
    window.__kbBench.shown = performance.now();
  }
}).observe(document, {subtree: true, childList: true});
"""
TIMEOUT_MS = 300_000


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


def bench_browser_search(site: Path, log: Callable[[str], None]) -> dict[str, Any] | None:
    if not CHROMIUM.exists():
        log(f"[browser] no Chromium at {CHROMIUM}; search in the browser not measured")
        return None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        log("[browser] Playwright is not installed (pip install -e '.[test]'); search in the browser not measured")
        return None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    fetched: dict[str, int] = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                         args=["--headless", "--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1280, "height": 900})

            def on_response(response: Any) -> None:
                if "/search/" in response.url:
                    try:
                        fetched[response.url] = len(response.body())
                    except Exception:  # a response without a body (a redirect, an abort)
                        fetched[response.url] = 0

            page.on("response", on_response)
            page.add_init_script(WATCH)
            page.goto(base + "index.html")
            box = page.locator("input.md-search__input")
            t0 = time.perf_counter()
            box.click()
            box.press_sequentially(QUERY)
            page.locator(".md-search-result__item").first.wait_for(timeout=TIMEOUT_MS)
            click_ms = (time.perf_counter() - t0) * 1000
            page.wait_for_function("window.__kbBench.shown !== undefined")
            clock = page.evaluate("window.__kbBench")
            first_ms = clock["shown"] - clock["typed"]
            browser.close()
    finally:
        server.shutdown()
    out = {"query": QUERY, "first_result_ms": first_ms, "from_click_ms": click_ms,
           "transfer_mb": sum(fetched.values()) / 1e6}
    log(f"[browser] {QUERY!r}: first result shown {first_ms:.0f} ms after typing began "
        f"({click_ms:.0f} ms after the click on the search box); search fetched {out['transfer_mb']:.2f} MB")
    return out
