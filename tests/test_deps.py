"""A page is taken from the build cache only when nothing it shows changed (kb.deps): random edits
of the real corpus, one after another with the cache kept, must give exactly what a build without
a cache gives, page by page, and reuse the pages the edit did not touch."""
from __future__ import annotations

import dataclasses
import marshal
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from kb import build, cache, deps
from kb.problems import ValidationFailed
from kb.render import Page
from kbtest import REPO

BLOCK_START = re.compile(r"^(\s*)(?:- )?[a-z_]+: [>|]-?\s*$")
NAME = re.compile(r"^(\s*(?:- )?name: )([A-Za-z].*)$")
KEY_LINE = re.compile(r"^\s*(?:- )?[a-z_]+:")
FLOW_LIST = re.compile(r"^(\s*(?:compounds|mechanisms|conditions): \[)([^\]]+), ([^\],]+)\](\s*)$")
VERDICT = re.compile(r"^(\s*verdict: )(supported|overstated|unverified|contradicted)(\s*)$")
BIB_TITLE = re.compile(r"^(\s*title\s*=\s*[{\"])", re.I)
BIB_YEAR = re.compile(r"^(\s*year\s*=\s*[{\"]?)(\d{4})", re.I)
VERDICTS = ["supported", "overstated", "unverified", "contradicted"]


def corpus(dest: Path) -> Path:
    shutil.copytree(REPO / "claims", dest / "claims")
    shutil.copyfile(REPO / "references.bib", dest / "references.bib")
    shutil.copytree(REPO / "docs" / "assets" / "structures", dest / "docs" / "assets" / "structures")
    return dest


def prose_lines(lines: list[str]) -> list[int]:
    """The lines of folded or literal text (a statement, a comment, a caveat...)."""
    out, indent = [], None
    for i, line in enumerate(lines):
        if indent is not None and line.strip() and len(line) - len(line.lstrip()) > indent:
            out.append(i)
            continue
        indent = None
        m = BLOCK_START.match(line)
        if m:
            indent = len(m.group(1))
    return out


EDITS = ["prose", "name", "drop-from-list", "verdict", "bib-title", "bib-year", "shift-lines", "date", "new-date"]


def edit(root: Path, data: st.DataObject, kind: str, n: int, dates: dict[str, str]) -> str:
    """One random edit of the given kind of the corpus at root (an edit the validator refuses
    is undone by the caller); returns what it did."""
    files = sorted(p for p in (root / "claims").rglob("*.yaml")) + [root / "references.bib"]
    token = f"Zqk{n}"
    if kind in ("date", "new-date"):  # a commit to a file, or a new file (the pages of all the data date from it)
        rel = data.draw(st.sampled_from(sorted(dates))) if kind == "date" else f"claims/added-{n}.yaml"
        dates[rel] = f"2026-0{1 + n % 9}-1{n % 10}"
        return f"date of {rel}"
    pattern = {"name": NAME, "drop-from-list": FLOW_LIST, "verdict": VERDICT, "bib-title": BIB_TITLE,
               "bib-year": BIB_YEAR, "shift-lines": KEY_LINE}.get(kind)
    texts = {path: path.read_text(encoding="utf-8").split("\n")
             for path in (files[-1:] if kind.startswith("bib") else files[:-1])}
    where = [(path, i) for path, lines in texts.items()
             for i in (prose_lines(lines) if kind == "prose" else
                       [i for i, line in enumerate(lines) if pattern and pattern.match(line)])]
    assert where, f"the corpus has no place for the edit {kind}"
    path, i = data.draw(st.sampled_from(where))
    lines = texts[path]
    line = lines[i]
    if kind == "prose":
        body = line.lstrip()
        lines[i] = line[: len(line) - len(body)] + token + " " + body
    elif kind == "name":
        lines[i] = NAME.sub(lambda m: m.group(1) + token + " " + m.group(2), line)
    elif kind == "drop-from-list":
        lines[i] = FLOW_LIST.sub(lambda m: m.group(1) + m.group(2) + "]" + m.group(4), line)
    elif kind == "verdict":
        lines[i] = VERDICT.sub(lambda m: m.group(1) + data.draw(st.sampled_from(VERDICTS)) + m.group(3), line)
    elif kind == "bib-title":
        lines[i] = BIB_TITLE.sub(lambda m: m.group(1) + token + " ", line, count=1)
    elif kind == "bib-year":
        lines[i] = BIB_YEAR.sub(lambda m: m.group(1) + str(int(m.group(2)) + 1), line, count=1)
    else:  # a comment line: every record below it moves down a line
        lines.insert(i, "# " + token)
    path.write_text("\n".join(lines), encoding="utf-8")
    return f"{kind} at {path.relative_to(root)}:{i + 1}"


def rendered(root: Path, dates: dict[str, str], store: cache.Cache | None, jobs: int = 1) -> dict[str, object]:
    checked = build.check(root, jobs=1, store=store)
    checked.dates = dict(dates)
    return {rel: (item.content(), item.headings, item.meta, item.search, item.anchors, item.links)
            if isinstance(item, Page) else item for rel, item in build.render(checked, jobs, store).items()}


@pytest.mark.filterwarnings("ignore")
# no shrinking: a failure names its edits, and shrinking one takes minutes
@settings(max_examples=5, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_edits_give_a_warm_build_equal_to_a_cold_one(tmp_path_factory, data):
    """Every kind of edit, in a random order, each at a random place, one after another with the
    cache kept: after each, the warm build equals a cold one."""
    root = corpus(tmp_path_factory.mktemp("kb"))
    folder = root / ".cache"
    store = cache.Cache(folder, "test")
    dates = {p.relative_to(root).as_posix(): "2026-01-01" for p in [*(root / "claims").rglob("*.yaml"),
                                                                     root / "references.bib"]}
    # the cache is now warm, from a build on two processes (the findings' blocks rendered first)
    assert rendered(root, dates, store, jobs=2) == rendered(root, dates, None)
    done = []
    for n, kind in enumerate(data.draw(st.permutations(EDITS))):
        before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and folder not in p.parents}
        done.append(edit(root, data, kind, n, dates))
        try:
            build.check(root, jobs=1)
        except ValidationFailed:  # an edit the rules refuse (a verdict a finding cannot have, say)
            for p, content in before.items():
                p.write_bytes(content)
            done[-1] += " (refused, undone)"
            continue
        store = cache.Cache(folder, "test")
        warm = rendered(root, dates, store)
        cold = rendered(root, dates, None)
        differ = sorted(rel for rel in cold if warm.get(rel) != cold[rel])
        assert not differ, f"after {done}: the cache gave stale {differ[:5]}"


def edit_a_statement(root: Path, token: str) -> tuple[Path, str]:
    """Put token at the start of the first folded statement of claims/neurobenefits.yaml; return
    the file and the finding's id."""
    path = root / "claims" / "neurobenefits.yaml"
    text = path.read_text(encoding="utf-8")
    found = re.search(r"\n  - id: ([a-z0-9-]+)\n    statement: >-\n      ", text.split("\nclaims:\n", 1)[1])
    assert found
    path.write_text(text.replace(found.group(0), found.group(0) + token + " ", 1), encoding="utf-8")
    return path, found.group(1)


def _html_or_text(kept: object) -> str:
    """What kb.build keeps beside a page's data (its HTML, with its downloads) or a data file's."""
    return kept[0] if isinstance(kept, tuple) else kept  # type: ignore[return-value]


def test_an_edit_renders_again_only_the_pages_that_read_it(tmp_path):
    """The trace is narrow: an edit of a finding's statement renders again the pages that show it,
    and takes every other page from the cache, those that count findings too."""
    root = corpus(tmp_path)
    rendered(root, {}, cache.Cache(root / ".cache", "test"))
    edit_a_statement(root, "Qwxzedit")
    store = cache.Cache(root / ".cache", "test")
    made: list[tuple[object, str]] = []  # what was rendered again: (its metadata, its HTML or text)
    put = store.put_parts
    store.put_parts = lambda kind, key, head, tail: (  # type: ignore[method-assign]
        (kind == "rendered" and made.append((head[2], _html_or_text(marshal.loads(tail))))) or put(kind, key, head, tail))
    after = rendered(root, {}, store)
    pages = {rel: item for rel, item in after.items() if isinstance(item, tuple)}
    again = {rel for rel, item in pages.items() if any(head != () and html == item[0] for head, html in made)}
    showing = {rel for rel, item in pages.items() if "Qwxzedit" in item[0]}
    # the pages that count findings read their tallies (kb.model.Tally), which a statement leaves as they were
    assert showing and again == showing, sorted(again ^ showing)
    assert len(again) < len(pages) / 4
    exported = [text for head, text in made if head == ()]  # the data files: claims.json and claims.csv show every finding
    assert len(exported) == 2 and all("Qwxzedit" in m for m in exported)


def test_a_read_is_noted_whatever_way_the_container_is_read():
    """A record read notes that record only; any read of the whole container notes the container."""
    book = deps.Book()
    d = book.watch("d", {"a": 1, "b": 2})
    items = book.watch("l", [1, 2])
    for read, token in [(lambda: d["a"], ("d", "a")), (lambda: d.get("b"), ("d", "b")),
                        (lambda: "c" in d, ("d", "c"))]:
        with deps.Recording() as seen:
            read()
        assert seen.tokens == {token}, token
    whole = [lambda: next(iter(d)), lambda: list(d), lambda: len(d), lambda: bool(d), lambda: sorted(d.values()),
             lambda: dict(d.items()), lambda: list(d.keys()), lambda: {**d},
             lambda: next(iter(items)), lambda: items[0], lambda: sorted(items), lambda: len(items),
             lambda: 2 in items, lambda: bool(items), lambda: [*items], lambda: list(reversed(items))]
    for i, read in enumerate(whole):
        with deps.Recording() as seen:
            read()
        assert ("l" if i >= 8 else "d", None) in seen.tokens, i


def test_a_reused_block_notes_the_reads_that_made_it():
    book = deps.Book()
    d = book.watch("d", {"a": 1})
    with deps.Recording() as outer, deps.Recording() as inner:
        d["a"]
    assert inner.tokens == outer.tokens == {("d", "a")}


def test_a_trace_checks_the_records_it_read_and_only_those():
    def digest(records: dict, trace: list) -> str:
        book = deps.Book()
        book.watch("d", records)
        return book.digest(book.trace(trace))

    one, whole = [("d", "a")], [("d", None)]
    assert digest({"a": 1, "b": 2}, one) == digest({"a": 1, "b": 3}, one)  # b was not read
    assert digest({"a": 1, "b": 2}, one) != digest({"a": 2, "b": 2}, one)
    assert digest({"a": 1}, one) != digest({}, one)  # a record gone is a change
    assert digest({"a": 1, "b": 2}, whole) != digest({"a": 1, "b": 3}, whole)
    assert digest({"a": 1}, [("d", "a")]) != digest({"b": 1}, [("d", "b")])  # the key counts, not only its value


def test_a_record_s_text_changes_whenever_one_of_its_fields_does():
    """A record (a dataclass of the model) is written with its class and every field: equal
    records give the same text, and a change of any field's value, at any depth, another; a
    Reference's raw entry counts, the names parsed from its fields do not; a field that holds
    another record is written by that record's text; any other object cannot be told."""
    from kb import bib, model

    def claim(**change: object) -> model.Claim:
        fields: dict = {"id": "c1", "statement": "S", "evidence_type": "animal", "citations": ["k"],
                        "source": {"ref": "a", "note": 1}, "article_says": "A", "verdict": "supported",
                        "file": "claims/x.yaml", "line": 3, "quantities": [{"value": 1.5}]}
        return model.Claim(**{**fields, **change})

    def ref(**change: object) -> bib.Reference:
        fields: dict = {"key": "k", "entry_type": "article", "fields": {"title": "T"}, "line": 2,
                        "raw": "@article{k, title={T}}"}
        return bib.Reference(**{**fields, **change})

    same = deps._Canon()(claim()), deps._Canon()(claim())
    assert same[0] == same[1] and same[0].startswith("Claim:")
    shared = "".join(["S", "x"])  # one string in two fields, against two equal strings
    assert deps._Canon()(claim(statement=shared, caveat=shared)) == \
        deps._Canon()(claim(statement="".join(["S", "x"]), caveat="".join(["S", "x"])))
    for other in (claim(statement="S2"), claim(line=4), claim(source={"ref": "a", "note": 2}),
                  claim(quantities=[{"value": 1.6}]), claim(quantities=[{"value": 1}]), claim(citations=("k",))):
        assert deps._Canon()(other) != same[0]
    assert deps._Canon()(model.Background(id="c1", statement="S", source={}, file="f", line=3)) != \
        deps._Canon()(model.Background(id="c1", statement="S", source={}, file="f", line=3, comment="x"))
    assert deps._Canon()(ref()) == deps._Canon()(ref(names={"author": []}))
    for other in (ref(raw="@article{k, title={T }}"), ref(fields={"title": "U"}), ref(entry_type="book")):
        assert deps._Canon()(other) != deps._Canon()(ref())
    held = model.Entity("sources", "a", {"notes": []}, title="T")
    assert deps._Canon()([held]) == deps._Canon()([model.Entity("sources", "a", {"notes": []}, title="T")])
    inner = (model.Tally("c1", "animal", "supported", (), (), ("k",)), model.Tally("c1", "animal", "supported", (), (), ("j",)))
    assert deps._Canon()(_Holder(inner[0])) != deps._Canon()(_Holder(inner[1]))
    with pytest.raises(TypeError):
        deps._Canon()(object())


@dataclasses.dataclass
class _Holder:
    record: object


def test_an_edit_writes_again_only_its_finding_s_part_of_the_exports(tmp_path, monkeypatch):
    """claims.json and claims.csv are written finding by finding (kind "pieces"): after a
    statement's edit, only the edited finding's record is made again (and the first finding's,
    whose fields name the CSV's columns); the files are those of a build without a cache, also
    when the kept pieces are damaged or not text."""
    from kb import model, render

    root = corpus(tmp_path)
    rendered(root, {}, cache.Cache(root / ".cache", "test"))
    path, edited = edit_a_statement(root, "Qwxzedit")
    made: list[str] = []
    real = model.Claim.record
    monkeypatch.setattr(model.Claim, "record", lambda self: made.append(self.id) or real(self))
    warm = rendered(root, {}, cache.Cache(root / ".cache", "test"))
    first = min(c.id for c in build.check(root).kb.claims)
    assert sorted(made) == sorted([edited, edited, first])
    monkeypatch.setattr(model.Claim, "record", real)
    cold = rendered(root, {}, None)
    assert {rel: warm[rel] for rel in ("data/claims.json", "data/claims.csv")} == \
           {rel: cold[rel] for rel in ("data/claims.json", "data/claims.csv")}
    assert "Qwxzedit" in cold["data/claims.json"]

    store = cache.Cache(root / ".cache", "test")
    kept = store.get_data("pieces", render.piece_key("claims.json"))
    assert isinstance(kept, dict) and len(kept) == len(build.check(root).kb.claims)
    store.put_data("pieces", render.piece_key("claims.json"), dict.fromkeys(kept, 1))  # not text
    entry = next(p for p in (root / ".cache" / "test" / "pieces").rglob("*") if p.name == render.piece_key("claims.csv"))
    entry.write_bytes(entry.read_bytes()[:-1] + b"!")  # damaged
    path.write_text(path.read_text(encoding="utf-8").replace("Qwxzedit ", "Qwxzagain ", 1), encoding="utf-8")
    again, fresh = rendered(root, {}, cache.Cache(root / ".cache", "test")), rendered(root, {}, None)
    assert again["data/claims.json"] == fresh["data/claims.json"] and again["data/claims.csv"] == fresh["data/claims.csv"]


def test_records_named_a_class_at_a_time_get_the_names_they_get_one_by_one():
    """Book.prime names every record the real model's containers hold, a class at a time
    (kb.deps._Canon.name_all): each gets the very name it gets when met one by one, so that a
    trace's digest does not depend on which way its records were named."""
    kb = build.check(REPO, jobs=1).kb
    primed, one_by_one = deps.Book(), deps.Book()
    build.watched(primed, kb)
    build.watched(one_by_one, kb)
    primed.prime()
    named = len(primed._canon.names)
    records = [v for c in one_by_one.containers.values()
               for v in (dict.values(c) if isinstance(c, dict) else list.__iter__(c)) if deps._is_record(v)]
    assert {type(r).__name__ for r in records} >= {"Claim", "Tally", "Entity", "Reference"}
    assert [primed.text(r) for r in records] == [one_by_one.text(r) for r in records]
    assert named == len({id(r) for r in records})  # each named by prime, before text() asked


class _Key:
    """A key whose repr is no literal: a trace's line for it cannot be read back."""

    def __repr__(self) -> str:
        return "<a key>"


def test_a_trace_kept_as_text_reads_back_the_records_it_was_made_of():
    """A trace is kept as its tokens' reprs, one per line (Book.trace): a later build, which never
    saw the tokens, reads each line back to the same token and finds the same digest; a line it
    cannot read back (a key with no literal repr) is a change, so the page renders again."""
    odd = _Key()
    tokens = [("d", "a"), ("d", None), ("e", ("compounds", "x")), ("d", "it's"), ("d", 'q"\\'), ("e", ("a",)),
              ("d", 3), ("d", "gone")]

    def book() -> deps.Book:
        made = deps.Book()
        made.watch("d", {"a": 1, "it's": 2, 'q"\\': 3, 3: 4})
        made.watch("e", {("compounds", "x"): 5, ("a",): 6})
        made.watch("o", {odd: 7})
        return made

    first, later = book(), book()
    trace = first.trace(tokens)
    assert [deps._token_of(line) for line in trace.split("\n")] == sorted(tokens, key=repr)
    assert later.digest(trace) == first.digest(trace)
    assert [deps._token_of(line) for line in ("('d', 'a', 'b')", "('d', ('a', 'b', 'c')", "not a token",
                                              "('d', ['a'])")] == [None] * 4
    assert later.digest(trace + "\n('d', ['a'])") != first.digest(trace)  # a line no dict could hold: a change
    changed = deps.Book()
    changed.watch("d", {"a": 1, "it's": 2, 'q"\\': 3, 3: 4, "gone": 0})
    changed.watch("e", {("compounds", "x"): 5, ("a",): 6})
    changed.watch("o", {odd: 7})
    assert changed.digest(trace) != first.digest(trace)  # a key that came back is a change too
    with_odd = first.trace([*tokens, ("o", odd)])
    assert book().digest(with_odd) != first.digest(with_odd)
