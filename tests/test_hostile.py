"""Hostile and broken input: curators' text is shown, never run; bad files end in clean errors."""
from __future__ import annotations

import random
from html import unescape
import re
from html.parser import HTMLParser

import markdown
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mkdocs.config import load_config

from kb import build
from kb.problems import ValidationFailed
from kbtest import REPO, make_kb

MARKERS = ["__pwned", "javascript:", "onerror", "onmouseover", "onload", "evil.example"]


class Elements(HTMLParser):
    """Every element and attribute of a page, and its visible text per element id."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text_by_id: dict[str, list[str]] = {}
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
        for ident in self._open:
            if ident:
                self.text_by_id.setdefault(ident, []).append(data)


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
        assert all(re.fullmatch(r"(\.\./|/)?assets/javascripts/[\w.]+\.js", a["src"]) for a in scripts if "src" in a)


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


# ---- property: any printable statement shows as the same visible text --------------------------

_config = load_config(str(REPO / "mkdocs.yml"))
_md = markdown.Markdown(extensions=_config["markdown_extensions"], extension_configs=_config["mdx_configs"])


def visible_statement(page_md: str, claim_id: str) -> str:
    _md.reset()
    html = _md.convert(page_md)
    elements = parse(html)
    text = "".join(elements.text_by_id[claim_id])
    # the claim block starts with its evidence badge and verdict chip; the statement follows them
    text = " ".join(text.split()).removeprefix("In vitro").strip().removeprefix("Article: supported")
    return text.strip().split(" What the article says:")[0]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp", "Co", "Cn")), min_size=1, max_size=80)
       .filter(lambda s: s.strip()))
def test_any_statement_round_trips_to_the_same_visible_text(tmp_path_factory, statement):
    root = make_kb(tmp_path_factory.mktemp("prop") / "kb")
    path = root / "claims" / "tiny.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["claims"][0]["statement"] = statement
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    files = build.render(build.check(root))
    assert visible_statement(files["compounds/alphamine.md"], "alphamine-helps-cells") == " ".join(statement.split())


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
