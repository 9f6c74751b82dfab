"""Curators' text made inert: whatever a field holds shows as the same visible characters.

Generated pages are Markdown read by MkDocs, so a statement holding `<script>`, a Markdown link,
a table pipe or `{{ }}` must reach the page as literal text. Every ASCII punctuation character
that Markdown, its extensions or HTML give a meaning to becomes a numeric character reference,
which the browser shows as the character itself and nothing interprets.
"""
from __future__ import annotations

import html

from markupsafe import Markup

_SPECIAL = set("\\`*_{}[]()#+-.!|<>&:~^=\"'$@%/;")
_TABLE = {ord(c): f"&#{ord(c)};" for c in _SPECIAL}


def inert(value) -> Markup:
    """Escape one value of curators' text for a generated Markdown page (one line, no markup)."""
    if isinstance(value, Markup):
        return value
    text = " ".join(str(value).split())
    return Markup(text.translate(_TABLE))


def inert_block(value: str) -> Markup:
    """Like inert, but keeps line breaks: for <pre> blocks such as a BibTeX entry."""
    lines = (line.translate(_TABLE) for line in str(value).splitlines())
    return Markup("&#10;".join(lines))


def unescape(value: str) -> str:
    """The text that HTML (an attribute value, or text between tags) spells out: the reverse of
    escaping, for reading back the pages the templates made."""
    return html.unescape(value) if "&" in value else value
