"""A MkDocs hook for the golden test of generated pages (tests/test_render.py): records what each
page's content, table of contents and title are once MkDocs has them, in KB_DUMP (JSON)."""
import json
import os
import re

PAGES: dict = {}


def _toc(items):
    return [[i.level, i.id, i.title, _toc(i.children)] for i in items]


def on_page_content(html, page, config, files):
    PAGES[page.file.src_uri] = {"content": re.sub(r"\n\s*\n", "\n", html).strip("\n"),
                                "toc": _toc(page.toc), "title": page.title}
    return html


def on_post_build(config):
    with open(os.environ["KB_DUMP"], "w", encoding="utf-8") as fh:
        json.dump(PAGES, fh, indent=1, sort_keys=True, ensure_ascii=False)
