"""A generated page's search sections (kb.searchentries.Sections) are exactly what Material's own
search Parser makes of the same HTML: on every page of the real site, of the tiny and hostile
fixtures and of a synthetic corpus, and on random HTML built of what the templates write."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from material.plugins.search.plugin import Parser

from bench.corpus import generate_corpus
from kb import build
from kb.searchentries import EXCLUDED_SECTION, Sections
from kbtest import FIXTURES, REPO


def sections(parser_class: type[Parser], html: str) -> tuple[bool, list[tuple]]:
    parser = parser_class()
    parser.feed(html)
    parser.close()
    return (getattr(parser, "fast", False),
            [(s.el.tag, s.el.attrs, s.id, s.title, s.text, s.depth) for s in parser.data])


def searchable_parts(root: Path) -> dict[str, str]:
    files = build.render(build.check(root), jobs=1)
    return {rel: EXCLUDED_SECTION.sub("", p.html) for rel, p in files.items() if isinstance(p, build.Page)}


@pytest.mark.parametrize("where", ["real", "tiny", "hostile", "synthetic"])
def test_every_page_is_split_as_materials_parser_splits_it(where, tmp_path):
    if where == "synthetic":
        generate_corpus(tmp_path, 300)
        root = tmp_path
    else:
        root = {"real": REPO, "tiny": FIXTURES / "tiny", "hostile": FIXTURES / "hostile"}[where]
    parts = searchable_parts(root)
    assert len(parts) > 10
    for rel, html in parts.items():
        fast, ours = sections(Sections, html)
        assert fast, f"{rel}: read by Material's parser, not the fast one"  # the comparison means something
        assert ours == sections(Parser, html)[1], rel


# Random HTML of the kinds the templates write: nested blocks, kept and dropped tags, headings with
# and without ids, permalinks, excluded blocks, <pre>, void tags, entities and whitespace.
TEXT = st.sampled_from(["x", "two words", " ", "\n", "  \n ", "a &amp; b", "&lt;tag&gt;", "caf&eacute;", "\t",
                        "line\nbreak", "&#x27;q&#x27;"])
BLOCK_TAGS = st.sampled_from(["p", "li", "ul", "ol", "div", "section", "span", "pre", "code", "sub", "sup",
                              "strong", "table", "td", "a", "small"])


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def make(tag: str, attrs: str, inner: list[str]) -> str:
        return f"<{tag}{attrs}>{''.join(inner)}</{tag}>"
    attrs = st.sampled_from(["", ' class="c"', " data-search-exclude", ' data-search-exclude="x"',
                             ' class="headerlink" href="#h"', ' id="i"', ' title="a &amp; b"'])
    return st.builds(make, BLOCK_TAGS, attrs, st.lists(children, max_size=4))


def _heading(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def make(level: int, anchor: str, inner: list[str], permalink: bool) -> str:
        link = f'<a class="headerlink" href="#{anchor}" title="Permanent link">&para;</a>' if permalink else ""
        ident = f' id="{anchor}"' if anchor else ""
        return f"<h{level}{ident}>{''.join(inner)}{link}</h{level}>"
    return st.builds(make, st.integers(1, 6), st.sampled_from(["", "a", "b-c"]), st.lists(children, max_size=3),
                     st.booleans())


NODES = st.recursive(TEXT | st.sampled_from(["<br>", "<br/>", "<hr>", '<img alt="i" src="x.png">']),
                     lambda inner: _element(inner) | _heading(inner), max_leaves=25)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(NODES, max_size=6))
def test_random_html_is_split_as_materials_parser_splits_it(nodes):
    html = "".join(nodes)
    try:
        theirs = sections(Parser, html)[1]
    except ValueError:  # Material's parser fails on this HTML (an end tag with no start tag kept): so does ours
        with pytest.raises(ValueError):
            sections(Sections, html)
        return
    fast, ours = sections(Sections, html)
    assert fast
    assert ours == theirs


def test_html_the_fast_reader_does_not_know_goes_to_materials_parser():
    for html in ["<p>a < b</p>", "<p>x</p><!-- note -->", "<script>if (a<b) {}</script><p>y</p>",
                 "<p title='single'>z</p>"]:
        fast, ours = sections(Sections, html)
        assert not fast, html
        assert ours == sections(Parser, html)[1]
