"""A generated page's search entries (location, title, text, tags, boost), made by the engine as
it renders the page, so that Material's search plugin does not parse every page's HTML again
(kb.plugin.DataSearchIndex hands them over).

They are exactly the entries Material's search plugin makes of the page (golden tests hold them
to it): its own parser reads the page's searchable part only. The blocks the templates exclude from
search, the findings and background notes that every page listing them repeats (only a source
article's page indexes its findings), are cut out before, so each finding is parsed once.
"""
from __future__ import annotations

import re

from material.plugins.search.plugin import Parser

from .render import Page

# A block the templates exclude from search: a <section> (never nested in another) of findings,
# background notes or a condition's findings by compound.
EXCLUDED_SECTION = re.compile(
    r'<section class="kb-[a-z]+" data-search-exclude(?:="data-search-exclude")?>.*?</section>', re.S)


def url_of(rel: str) -> str:
    """The page's address in the site (mkdocs.yml: use_directory_urls: false)."""
    return rel[: -len(".md")] + ".html"


def entries(rel: str, page: Page) -> list[dict]:
    """What Material's SearchIndex.add_entry_from_context and create_entry_for_section make of
    the page, section by section (a heading with an id starts a section)."""
    search = page.meta.get("search") or {}
    if search.get("exclude"):
        return []
    parser = Parser()
    parser.feed(EXCLUDED_SECTION.sub("", page.html))
    parser.close()
    url, out = url_of(rel), []
    tags = page.meta.get("tags")
    for section in parser.data:
        if section.is_excluded():
            continue
        title = "".join(section.title or [str(page.meta.get("title", page.title))]).strip()
        entry: dict = {"location": url + ("#" + section.id if section.id else ""), "title": title,
                       "text": "".join(section.text).strip()}
        if isinstance(tags, list):
            entry["tags"] = [str(t) for t in tags if t and isinstance(t, (str, int, float, bool))]
        if "boost" in search:
            entry["boost"] = search["boost"]
        out.append(entry)
    return out
