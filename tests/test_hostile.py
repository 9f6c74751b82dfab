"""Hostile and broken input: curators' text is shown, never run; bad files end in clean errors."""
from __future__ import annotations

import random
from html import unescape
import re
from html.parser import HTMLParser

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kb import build
from kb.problems import ValidationFailed
from kb.render import Page
from kb.text import inert
from kbtest import FIXTURES, REPO, make_kb

MARKERS = ["__pwned", "javascript:", "onerror", "onmouseover", "onload", "evil.example"]


class Elements(HTMLParser):
    """Every element and attribute of a page, and its visible text per element id."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text_by_id: dict[str, list[str]] = {}
        self.data: list[str] = []
        self._open: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag not in ("br", "img", "input", "meta", "link", "hr"):
            self._open.append(attrs.get("id"))

    def handle_endtag(self, tag):
        if self._open and tag not in ("br", "img", "input", "meta", "link", "hr"):
            self._open.pop()

    def handle_data(self, data):
        self.data.append(data)
        for ident in self._open:
            if ident:
                self.text_by_id.setdefault(ident, []).append(data)

    def text(self) -> str:
        """All the text a reader sees, in order."""
        return "".join(self.data)


def parse(html: str) -> Elements:
    p = Elements()
    p.feed(html)
    return p


def test_markup_in_data_never_becomes_markup(hostile_site):
    pages = sorted(hostile_site.rglob("*.html"))
    for page in pages:
        elements = parse(page.read_text(encoding="utf-8"))
        for tag, attrs in elements.tags:
            assert not any(k.startswith("on") for k in attrs), (page, tag, attrs)
            for k in ("href", "src", "action"):
                value = (attrs.get(k) or "").strip().lower()
                assert not value.startswith("javascript:"), (page, tag, attrs)
                assert "evil.example" not in value, (page, tag, attrs)
            assert tag not in ("iframe", "u", "i", "style") or "evil" not in str(attrs), (page, tag)
        scripts = [a for t, a in elements.tags if t == "script"]
        assert all(re.fullmatch(r"(\.\./|/)?assets/javascripts/[\w.-]+\.js", a["src"]) for a in scripts if "src" in a)


def test_hostile_text_is_shown_literally(hostile_site):
    html = (hostile_site / "compounds" / "alphamine.html").read_text(encoding="utf-8")
    text = " ".join("".join(parse(html).text_by_id["hostile-statement"]).split())
    assert "<script>window.__pwned=4</script><b onmouseover=\"window.__pwned=5\">bold?</b>" in text
    assert "[link](javascript:window.__pwned=6) {{ config }} {% raw %} | x | y | :material-alert: &amp; &#60;" in text
    assert "<a href='javascript:window.__pwned=7'>here</a>" in text
    assert "![img](https://evil.example/x.png) <style>body{display:none}</style>" in text
    title = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1)
    assert unescape(re.sub(r"<[^>]+>", "", title)).startswith("Alpha<script>window.__pwned=1</script>mine")


def test_no_inline_script_from_data(hostile_site):
    for page in hostile_site.rglob("*.html"):
        for body in re.findall(r"<script(?![^>]*src=)[^>]*>(.*?)</script>", page.read_text(encoding="utf-8"), re.S):
            assert "__pwned" not in body, page


# ---- Markdown in curators' text stays text ---------------------------------------------------

# Every construct whose characters kb.text escapes, each where Markdown would read it: a
# description starts its paragraph's line, so a leading `+ `, `# ` or `!!! ` is a list, a heading,
# an admonition unless escaped (tests/fixtures/hostile/claims/entities/*.yaml).
MARKDOWN_CONSTRUCTS = [("conditions", "gamma-syndrome"), ("mechanisms", "beta-receptor"), ("methods", "dish-assay")]


def visible_text(html: str) -> str:
    return " ".join(parse(html).text().split())


def description(kind: str, ident: str) -> str:
    data = yaml.safe_load((FIXTURES / "hostile" / "claims" / "entities" / f"{kind}.yaml").read_text(encoding="utf-8"))
    return next(e["description"] for e in data[kind] if e["id"] == ident)


@pytest.mark.parametrize("kind, ident", MARKDOWN_CONSTRUCTS)
def test_markdown_in_a_description_shows_as_typed_on_the_built_page(hostile_site, kind, ident):
    typed = " ".join(description(kind, ident).split())
    html = (hostile_site / kind / f"{ident}.html").read_text(encoding="utf-8")
    article = re.search(r"<article\b.*?</article>", html, re.S).group(0)
    assert typed in visible_text(article)


def test_every_character_markdown_reads_is_escaped():
    """`%` has no meaning to this site's Markdown (it is escaped for `{% %}` templating), so no
    page can show a difference: the escaping itself is the promise here, for every character
    whose un-escaping no page test would otherwise notice."""
    for ch in "*`\\#+!~^$%{}[]()<>&|_":
        assert inert(ch) == f"&#{ord(ch)};", ch


# ---- property: any printable text shows as the same visible text ---------------------------------

def visible_statement(page: Page, claim_id: str) -> str:
    """The visible text of a claim's finding on a generated page (its HTML is the page's content
    as MkDocs shows it: no Markdown reads it)."""
    block = page.html[page.html.index(f'id="{claim_id}"'):]
    finding = re.search(r'<p class="kb-claim__finding">.*?</p>', block, re.S).group(0)
    return visible_text(finding)


def visible_page(page: Page) -> str:
    """A generated page's visible text."""
    return visible_text(page.html)


# Pieces of Markdown and HTML for the generator to combine, so that it reaches constructs.
SNIPPETS = ["*", "**", "_", "`", "\\", "# ", "+ ", "- ", "1. ", "> ", "!!! note ", "??? ", "![a](b.png)",
            "[a](javascript:b)", "~~", "~", "^^", "^", "$", "$$", "%", "{% raw %}", "{{ x }}", "{: #i .c }",
            "<b>", "</div>", "&amp;", "&#60;", "|", " | ", ":smile:", "---", "```", "~~~", "==", "++",
            "    ", "\n", "(c)", "-->", "[[x]]", "{++a++}", "<!-- x -->", "\\*", "***x***"]
TEXT = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp", "Co", "Cn"))
PRINTABLE = st.one_of(
    st.text(TEXT, min_size=1, max_size=80),
    st.lists(st.one_of(st.sampled_from(SNIPPETS), st.text(TEXT, max_size=6)), min_size=1, max_size=12).map("".join),
).filter(lambda s: s.strip())
PLACEHOLDER = "Zqxplaceholderqxz"
_blank: list[str] = []


def with_text(root, statement: str, description: str) -> dict[str, str]:
    """The tiny knowledge base's pages with a claim's statement and a compound's description set."""
    path = root / "claims" / "tiny.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["claims"][0]["statement"] = statement
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    path = root / "claims" / "entities" / "compounds.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["compounds"][0]["description"] = description
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return build.render(build.check(root))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(PRINTABLE)
@example("+ item *em* **strong** `code` \\\\ \\* # h # ![i](x.png) ~~del~~ ^sup^ $math$ 100% ++k++ ==m==")
@example("# heading #")
@example("!!! note")
def test_any_text_round_trips_to_the_same_visible_text(tmp_path_factory, text):
    """In a claim (a raw-HTML block) and in a description (a Markdown paragraph, at the start of
    its line), any printable text shows as typed."""
    typed = " ".join(text.split())
    root = make_kb(tmp_path_factory.mktemp("prop") / "kb")
    if not _blank:  # the page with a placeholder in both places: the same for every example
        _blank.append(visible_page(with_text(root, PLACEHOLDER, PLACEHOLDER)["compounds/alphamine.md"]))
    blank = _blank[0]
    files = with_text(root, text, text)
    assert visible_statement(files["compounds/alphamine.md"], "alphamine-helps-cells") == typed
    shown = visible_page(files["compounds/alphamine.md"])
    assert shown == " ".join(blank.replace(PLACEHOLDER, typed).split())


# ---- fuzz: mutated copies of the real claim files end in a build or a clean error --------------

def mutate(text: str, rng: random.Random) -> str:
    lines = text.splitlines(keepends=True) or [""]
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(lines))
        op = rng.choice(["drop", "dup", "swap", "indent", "dedent", "char", "junk", "truncate", "value"])
        if op == "drop" and len(lines) > 1:
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "indent":
            lines[i] = "  " + lines[i]
        elif op == "dedent":
            lines[i] = lines[i][2:]
        elif op == "char" and lines[i]:
            k = rng.randrange(len(lines[i]))
            lines[i] = lines[i][:k] + rng.choice(":-[]{}#&*!|>'\"%@`\t\\,?\x00\xff") + lines[i][k + 1:]
        elif op == "junk":
            lines.insert(i, rng.choice(["- ", "? ", ": x\n", "&a x\n", "*a\n", "!!binary x\n", "%YAML 1.1\n",
                                        "--- \n", "...\n", "id: 1e400\n", "evidence_type: [a]\n"]))
        elif op == "truncate":
            lines = lines[: i + 1]
        elif op == "value":
            lines[i] = re.sub(r": .*", rng.choice([": ", ": null", ": 12", ": [x, y]", ": {a: b}", ": yes",
                                                   ": 2020-01-01", ": ''"]), lines[i], count=1)
    return "".join(lines)


@pytest.mark.parametrize("seed", range(40))
def test_fuzzed_real_files_never_crash(tmp_path, seed):
    rng = random.Random(seed)
    files = sorted((REPO / "claims").rglob("*.yaml")) + [REPO / "references.bib"]
    root = tmp_path / "kb"
    (root / "claims").mkdir(parents=True)
    for f in files:
        target = root / f.relative_to(REPO)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(f.read_bytes())
    for _ in range(5):
        victim = rng.choice(files)
        target = root / victim.relative_to(REPO)
        target.write_bytes(mutate(target.read_bytes().decode("utf-8", "replace"), rng).encode("utf-8", "surrogatepass"))
        try:
            build.render(build.check(root))
        except ValidationFailed as failed:
            assert failed.problems and all(p.line >= 1 and p.code.startswith("KB") for p in failed.problems)


# ---- LaTeX in references.bib shows as text; the BibTeX stays as written --------------------------

def test_latex_in_bibtex_fields_shows_as_text(tmp_path):
    root = make_kb(tmp_path / "kb")
    entry = (FIXTURES / "latex.bib").read_text(encoding="utf-8")
    bib = root / "references.bib"
    bib.write_text(bib.read_text(encoding="utf-8") + "\n" + entry, encoding="utf-8")
    checked = build.check(root)
    ref = checked.kb.refs["muller2001latex"]
    assert ref.get("author") == "Müller, Jörg and van der Berg, Anna and World Health Organization and García, José"
    assert ref.get("title") == "D-serine in vivo: a 50% rise in α-synuclein–free cells"
    assert ref.get("journal") == "Journal of Straße & Co"
    assert ref.get("pages") == "1–10"
    assert ref.get("note") == "Seen at https://example.org/?a=1&b=2%2F in a fixture."  # % and & as typed
    assert ref.get("url") == "https://example.org/a%2Fb~c_d"  # identifiers exactly as written
    assert ref.raw.strip() == entry.strip()
    files = build.render(checked)
    assert files["data/references.bib"] == bib.read_text(encoding="utf-8")
    shown, _, bibtex = visible_page(files["references/muller2001latex.md"]).partition("BibTeX entry")
    for text in ("Müller", "van der Berg", "World Health Organization", "García",
                 "D-serine in vivo: a 50% rise in α-synuclein–free cells", "Journal of Straße & Co"):
        assert text in shown, text
    assert not re.search(r"[\\{}$]", shown), shown
    assert " ".join(entry.split()) in bibtex  # the entry as written, for the download and the copy button


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(tmp_path):
    """A statement or caveat starting with = + - @ is shown as text by a spreadsheet opening
    claims.csv; claims.json keeps the exact text."""
    import csv
    import io
    import json
    root = make_kb(tmp_path / "kb")
    path = root / "claims" / "tiny.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    attacks = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)"]
    for claim, attack in zip(data["claims"], attacks, strict=False):
        claim["statement"] = attack
    data["claims"][0]["caveat"] = attacks[3]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    files = build.render(build.check(root))
    rows = list(csv.DictReader(io.StringIO(files["data/claims.csv"])))
    cells = [r["statement"] for r in rows] + [r["caveat"] for r in rows]
    assert all(not c.startswith(("=", "+", "-", "@")) for c in cells), cells
    assert "'" + attacks[0] in cells
    statements = {c["statement"] for c in json.loads(files["data/claims.json"])}
    assert set(attacks[:3]) <= statements


def test_json_exports_refuse_nan_instead_of_writing_invalid_json():
    from kb import render
    with pytest.raises(ValueError):
        render._json({"value": float("nan")})
    assert render._json({"value": 1.5}) == '{\n "value": 1.5\n}\n'
