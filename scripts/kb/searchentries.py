"""A generated page's search entries (location, title, text, tags, boost), made by the engine as
it renders the page, so that Material's search plugin does not parse every page's HTML again
(kb.plugin.DataSearchIndex hands them over).

They are exactly the entries Material's search plugin makes of the page (golden tests hold them
to it), from the page's searchable part only: the blocks the templates exclude from search, the
findings and background notes that every page listing them repeats (only a source article's page
indexes its findings), are cut out first, so each finding is parsed once. `Sections` splits that
part into sections as Material's parser does, nearly three times faster (tests compare the two).
"""
from __future__ import annotations

import re
from html import escape

from material.plugins.search.plugin import Element, Parser, Section, void

from .render import Page
from .text import unescape

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
    parser = Sections()
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


# A tag as the templates write it: a start tag with double-quoted or bare attributes, or an end tag.
_TAG = re.compile(r'<(/?)([a-zA-Z][^\t\n\r\f />\x00]*)((?:\s+[^\s=/>]+(?:="[^"]*")?)*)\s*(/?)>')
_ATTR = re.compile(r'\s+([^\s=/>]+)(?:="([^"]*)")?')
# What HTMLParser reads in a way of its own (a '<' that opens no tag, raw-text elements, comments,
# declarations, processing instructions): a page holding any of it is read by Material's parser.
_UNUSUAL = re.compile(r"<(?![a-zA-Z/])|<(?:script|style|object|textarea|title)\b|<!|<\?", re.I)
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_KEEP = {"p", "code", "pre", "li", "ol", "ul", "sub", "sup"}  # Material's Parser.keep
_ATTRS_READ = _HEADINGS | {"a"}  # the tags whose attributes Material's parser looks at
_NO_ATTRS: dict[str, str | None] = {}


class Sections(Parser):
    """Material's search Parser (material/plugins/search/plugin.py), made fast for the HTML the
    templates write: one regular expression finds the tags, and its handlers' steps run inline on
    tag names (Material compares elements by tag name only, so nothing else is needed). Each step
    below is one of Parser.handle_starttag, handle_endtag or handle_data, in the same order, with
    the same quirks (the closing tag of a kept element looks back to the first opening tag of its
    kind in the section). HTML that HTMLParser reads in a way of its own goes to Material's parser
    (`fast` tells which one read the page)."""

    fast = False

    def feed(self, data: str) -> None:
        tags = list(_TAG.finditer(data))
        if len(tags) != data.count("<") or _UNUSUAL.search(data):
            super().feed(data)
            return
        self.fast = True
        sections: list[Section] = self.data
        section: Section | None = None
        context: list[str] = []  # the open elements' tags
        opened: list[dict[str, str | None]] = []  # and their attributes, where Material reads them
        skipped: set[str] = set()  # tags excluded from search (data-search-exclude), by name

        def text(chunk: str) -> None:  # Parser.handle_data
            nonlocal section
            if skipped and not skipped.isdisjoint(context):
                return
            chunk = unescape(chunk)
            if "pre" not in context:
                chunk = chunk.replace("\n", " ") if not chunk.isspace() else " "
            if section is None:
                section = Section(Element("hx"))
                sections.append(section)
            if section.el.tag in context:
                permalink = any(tag == "a" and attrs.get("class") == "headerlink"
                                for tag, attrs in zip(context, opened, strict=True))
                if not permalink:
                    section.title.append(escape(chunk, quote=False))
            elif chunk.isspace():
                if not section.text or not section.text[-1].isspace() or "pre" in context:
                    section.text.append(chunk)
            else:
                section.text.append(escape(chunk, quote=False))

        pos = 0
        for m in tags:
            if m.start() > pos:
                text(data[pos:m.start()])
            pos = m.end()
            close, tag, attr_text, self_closing = m.groups()
            tag = tag.lower()
            if not close and tag not in void:  # Parser.handle_starttag
                attrs = (_attrs(attr_text) if attr_text and (tag in _ATTRS_READ or "data-search-exclude" in attr_text
                                                             or "linenodiv" in attr_text) else _NO_ATTRS)
                context.append(tag)
                opened.append(attrs)
                if tag in _HEADINGS and "id" in attrs:
                    depth = len(context)
                    if tag != "h1" and not sections:
                        sections.append(Section(Element("hx"), depth))
                    section = Section(Element(tag, attrs), depth)
                    if sections:
                        section.id = attrs["id"]
                    sections.append(section)
                if section is None:
                    section = Section(Element("hx"))
                    sections.append(section)
                if "data-search-exclude" in attrs or attrs.get("class") == "linenodiv":
                    skipped.add(tag)
                elif tag in _KEEP and (not skipped or skipped.isdisjoint(context)):
                    (section.title if section.el.tag in context else section.text).append(f"<{tag}>")
            if (close or self_closing) and context and context[-1] == tag:  # Parser.handle_endtag
                assert section is not None  # an open element made one
                if section.depth > len(context):
                    for earlier in reversed(sections):
                        if earlier.depth <= len(context):
                            section.depth = float("inf")
                            section = earlier
                            break
                context.pop()
                opened.pop()
                if tag in skipped:
                    skipped.discard(tag)
                elif tag in _KEEP and (not skipped or skipped.isdisjoint(context)):
                    out = section.title if section.el.tag in context else section.text
                    index = out.index(f"<{tag}>")
                    if all(item.isspace() for item in out[index + 1:]):
                        del out[index:]  # an element with nothing in it is dropped
                    else:
                        out.append(f"</{tag}>")
        if pos < len(data):
            text(data[pos:])
        self.section = section


def _attrs(text: str) -> dict[str, str | None]:
    return {a.group(1).lower(): a.group(2) and unescape(a.group(2)) for a in _ATTR.finditer(text)}
