"""The generated pages' own links and anchors, checked (MkDocs checks only what goes through
Python-Markdown, and generated pages do not).

`of(html)` reads a page's ids and the site-internal links it makes (each once, in order);
`broken(pages, files)` lists every link to a file the site does not have, or to an id its target
page does not have. Links are written for `use_directory_urls: false`: relative to the page's
folder, ending in the target file's name.
"""
from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from urllib.parse import unquote

from .text import unescape

_HREF = re.compile(r'<a\b[^>]*?\bhref="([^"]*)"')
_ID = re.compile(r' id="([^"]+)"')  # (not \bid=, which is six times slower, and matches data-id=)
_EXTERNAL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")


def of(page_html: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """The page's ids, and its links within the site (unescaped, each once, in order)."""
    ids = frozenset(unescape(i) for i in _ID.findall(page_html))
    links = tuple(unescape(h) for h in dict.fromkeys(_HREF.findall(page_html)) if not _EXTERNAL.match(h))
    return ids, links


def broken(pages: Mapping[str, tuple[frozenset[str], tuple[str, ...]]], files: Iterable[str]) -> list[str]:
    """`where: the problem` for each broken link. `pages` maps a generated page's file in the
    site (`compounds/sarcosine.html`) to what `of` read from it; `files` are all the site's files."""
    known = set(files) | set(pages)  # the generated pages, whether or not `files` lists them
    problems = []
    resolved: dict[tuple[str, str], str] = {}  # (folder, link target) -> the file: most recur on many pages
    for here, (_, links) in pages.items():
        folder = posixpath.dirname(here)
        for link in links:
            target, _, anchor = link.partition("#")
            target = target.split("?", 1)[0]
            if not target:
                path = here
            elif (path := resolved.get((folder, target), "")) == "":
                path = resolved[folder, target] = posixpath.normpath(posixpath.join(folder, unquote(target)))
            if path not in known or path.startswith("../"):
                problems.append(f"{here}: the link '{link}' points to {path}, which the site does not have")
            elif anchor and path in pages and unquote(anchor) not in pages[path][0]:
                problems.append(f"{here}: the link '{link}' points to #{unquote(anchor)}, "
                                f"which {path} does not have")
    return problems
