"""The generated pages' own links and anchors, checked (MkDocs checks only what goes through
Python-Markdown, and generated pages do not).

`of(html)` reads a page's ids and the site-internal links it makes (each once, in order);
`broken(pages, files)` lists every link to a file the site does not have, or to an id its target
page does not have; `to_check(record, now)` names the pages a check must read again after an
edit, given what a check that found nothing broken recorded (`recorded`). Links are written for
`use_directory_urls: false`: relative to the page's folder, ending in the target file's name.
"""
from __future__ import annotations

import hashlib
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


def broken(pages: Mapping[str, tuple[frozenset[str], tuple[str, ...]]], files: Iterable[str],
           only: Iterable[str] | None = None) -> list[str]:
    """`where: the problem` for each broken link. `pages` maps a generated page's file in the
    site (`compounds/sarcosine.html`) to what `of` read from it; `files` are all the site's files;
    `only`: the pages whose links are checked (default: all of them)."""
    known = set(files) | set(pages)  # the generated pages, whether or not `files` lists them
    problems = []
    resolved: dict[tuple[str, str], str] = {}  # (folder, link target) -> the file: most recur on many pages
    for here in pages if only is None else only:
        links = pages[here][1]
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


def recorded(pages: Mapping[str, tuple[str, frozenset[str]]],
             before: Mapping[str, tuple[str, str]] | None = None) -> dict[str, tuple[str, str]]:
    """What a check that found nothing broken records of each page: its HTML's hash, and a digest
    of its ids (`pages`: file -> (HTML hash, ids)); a page whose hash is in `before` (the record
    this check started from) keeps its entry from there."""
    before = before or {}
    out = {}
    for here, (kept, ids) in pages.items():
        known = before.get(here)
        out[here] = known if known is not None and known[0] == kept else (kept, _digest(ids))
    return out


def to_check(record: Mapping[str, tuple[str, str]] | None,
             pages: Mapping[str, tuple[str, frozenset[str]]]) -> list[str] | None:
    """The pages whose links must be checked again (file -> (HTML hash, ids) now), given the
    record of a check that found nothing broken among the same files (`recorded`); None: all.
    A page whose HTML is as recorded makes the same links to the same files; while every page
    has the ids it had, only the links of a page whose HTML changed can be broken now."""
    if not record:
        return None
    changed = [here for here, (kept, _) in pages.items() if record.get(here, ("",))[0] != kept]
    if any(here not in record or record[here][1] != _digest(pages[here][1]) for here in changed):
        return None  # an id may be gone that an unchanged page links to
    return changed


def _digest(ids: frozenset[str]) -> str:
    return hashlib.blake2b("\n".join(sorted(ids)).encode(), digest_size=16).hexdigest()
