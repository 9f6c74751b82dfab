"""The search index in shards (kb.shards), on the real site: it holds every entry of Material's
index, in order, finds each entry by every word of its title and names, keeps a common word's best
entries, and is written the same way every time. (What a reader sees of it, in Chromium, is
tests/browser/test_browser_search.py, which runs every search test on both indexes.)"""
from __future__ import annotations

import json
import math
import random
import re
from pathlib import Path

import pytest

from kb import cache, shards
from kbtest import REPO


def read(site: Path) -> tuple[dict, Path]:
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    manifest = index["config"]["kb_shards"]
    return index, site / "search" / manifest["path"]


def decode(postings: list[int], steps: int) -> dict[int, float]:
    out, doc = {}, 0
    for i in range(0, len(postings), 2):
        doc += postings[i]
        out[doc] = 2 ** (postings[i + 1] / steps)
    return out


def lookup(folder: Path, manifest: dict, word: str) -> dict[int, float]:
    """What the worker reads for one exact word: its entries and their weights."""
    keys = [k for k in (shards._key(word[:n]) for n in range(len(word), 0, -1)) if k in manifest["vocab"]]
    if not keys:
        return {}
    vocab = json.loads((folder / "v" / f"{keys[0]}.json").read_text(encoding="utf-8"))
    if word not in vocab["t"]:
        return {}
    shard = vocab["s"][vocab["t"].index(word)]
    postings = json.loads((folder / "p" / f"{shard}.json").read_text(encoding="utf-8"))[word]
    return decode(postings, manifest["steps"])


def test_the_real_site_keeps_one_index_and_its_sharded_twin_holds_every_entry_in_order(site, sharded_site):
    one = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert one["docs"] and "kb_shards" not in one["config"], "the real site is small: `auto` keeps one index"
    assert not list((site / "search").glob("kb-*"))

    index, folder = read(sharded_site)
    manifest = index["config"]["kb_shards"]
    assert index["docs"] == [] and (sharded_site / "search" / "search_index.json").stat().st_size < 10_000
    assert {k: v for k, v in index["config"].items() if k != "kb_shards"} == one["config"]
    chunks = sorted(folder.glob("d/*.json"), key=lambda p: int(p.stem))
    docs = [d for c in chunks for d in json.loads(c.read_text(encoding="utf-8"))]
    assert manifest["docs"] == len(docs) == len(one["docs"])
    assert [d[0] for d in docs] == [e["location"] for e in one["docs"]]
    assert [d[1] for d in docs] == [shards.plain(e["title"]) for e in one["docs"]]
    assert all(len(d[2]) <= shards.SNIPPET + 2 for d in docs)

    starts, at = [], 0
    for delta in json.loads((folder / "pages.json").read_text(encoding="utf-8")):
        at += delta
        starts.append(at)
    assert [docs[i][0] for i in starts] == [e["location"] for e in one["docs"] if "#" not in e["location"]]


def test_every_entry_is_found_by_each_word_of_its_title_and_tags(sharded_site):
    index, folder = read(sharded_site)
    manifest, config = index["config"]["kb_shards"], index["config"]
    separator, stop = re.compile(config["separator"]), frozenset(manifest["stop"])
    docs = [d for c in sorted(folder.glob("d/*.json"), key=lambda p: int(p.stem))
            for d in json.loads(c.read_text(encoding="utf-8"))]
    missing, checked = [], 0
    for i, (location, title, _text, tags) in enumerate(docs):
        for word in shards.words(" ".join([title, *tags]), separator, stop):
            found = lookup(folder, manifest, word)
            checked += 1
            if i not in found and len(found) < shards.MAX_POSTINGS:
                missing.append((location, word))
    assert checked > 500 and missing == []


def test_a_name_weighs_more_than_a_mention(sharded_site):
    """Tags (a page's names) weigh most, then the title, then the text, as Material's boosts say."""
    index, folder = read(sharded_site)
    manifest = index["config"]["kb_shards"]
    docs = [d for c in sorted(folder.glob("d/*.json"), key=lambda p: int(p.stem))
            for d in json.loads(c.read_text(encoding="utf-8"))]
    found = lookup(folder, manifest, "sarcosine")
    page = next(i for i, d in enumerate(docs) if d[0] == "compounds/sarcosine.html")
    assert found[page] == max(found.values())
    mention = next(i for i in found if "sarcosine" not in docs[i][1].lower() and not docs[i][3])
    assert found[page] > 1000 * found[mention]


def entries(n: int, common: str = "glycine") -> list[dict]:
    out = []
    for i in range(n):
        title = f"Page {i}" + (f" {common}" if i % 100 == 7 else "")
        out.append({"location": f"p{i}.html", "title": title, "text": f"{common} mentioned once in {i}."})
        out.append({"location": f"p{i}.html#s", "title": "A section", "text": f"word{i} &amp; <code>x</code>"})
    return out


CONFIG = {"separator": r"[\s\-]+", "pipeline": ["stopWordFilter"],
          "fields": {"title": {"boost": 1e3}, "text": {"boost": 1.0}, "tags": {"boost": 1e6}}}


def test_a_warm_cache_reads_again_only_the_pages_that_changed_and_writes_the_same_files(tmp_path):
    folder = tmp_path / "cache"
    before = entries(300)
    cold = shards.write(before, CONFIG, tmp_path / "cold", cache.Cache(folder, "f"))
    assert len(list(folder.rglob("words/*/*"))) == 1  # one entry per run of pages (300 pages: one run)

    after = [dict(e) for e in before]
    after[10]["text"] = "an edited section of page five"
    store = cache.Cache(folder, "f")
    read = []
    real = shards._read
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(shards, "_read", lambda entry, *a: read.append(entry["location"]) or real(entry, *a))
        warm = shards.write(after, CONFIG, tmp_path / "warm", store)
    assert read == ["p5.html", "p5.html#s"], "only the edited page is read again"
    assert warm == shards.write(after, CONFIG, tmp_path / "none")
    assert files(tmp_path / "warm") == files(tmp_path / "none") and warm != cold

    for entry in folder.rglob("words/*/*"):  # a damaged cache is read again, never trusted
        entry.write_bytes(entry.read_bytes()[:-3] + b"xyz")
    assert shards.write(after, CONFIG, tmp_path / "damaged", cache.Cache(folder, "f")) == warm
    assert files(tmp_path / "damaged") == files(tmp_path / "none")


def test_a_common_word_keeps_its_best_entries_and_counts_them_all(tmp_path):
    n = shards.MAX_POSTINGS + 200
    manifest = shards.write(entries(n), CONFIG, tmp_path)
    folder = tmp_path / manifest["path"]
    found = lookup(folder, manifest, "glycine")
    assert len(found) == shards.MAX_POSTINGS
    in_title = {2 * i for i in range(n) if i % 100 == 7}
    assert in_title <= set(found), "every entry naming it in its title is kept"
    vocab = json.loads((folder / "v" / f"{ord('g'):x}.json").read_text(encoding="utf-8"))
    assert vocab["n"][vocab["t"].index("glycine")] == n
    assert lookup(folder, manifest, "mentioned") and lookup(folder, manifest, "once")
    assert lookup(folder, manifest, "in") == {}, "a stop word is not indexed"
    assert lookup(folder, manifest, "amp") == {} and lookup(folder, manifest, "code") == {}, \
        "character references and tags are not words"


def test_weights_round_to_a_sixteenth_of_a_doubling():
    for weight in (0.013, 1.0, 2.2, 1234.5, 3.3e9):
        (back,) = decode(shards._encode([(0, weight)]), shards.WEIGHT_STEPS).values()
        assert abs(math.log2(back) - math.log2(weight)) <= 1 / (2 * shards.WEIGHT_STEPS) + 1e-12


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_the_same_entries_make_the_same_files_on_one_process_or_several(tmp_path, monkeypatch):
    a = shards.write(entries(300), CONFIG, tmp_path / "a")
    monkeypatch.setattr(shards, "BATCH_PAGES", 64)  # pages read and gathered in five batches
    b = shards.write(entries(300), CONFIG, tmp_path / "b", cache.Cache(tmp_path / "cache", "f"), jobs=2)
    assert a == b
    assert files(tmp_path / "a") == files(tmp_path / "b")
    assert len(list((tmp_path / "cache").rglob("words/*/*"))) == 5  # what the workers read, kept per run (batch)
    c = shards.write(entries(301), CONFIG, tmp_path / "c")
    assert c["path"] != a["path"], "other entries, another folder: a reader's cache never mixes two builds"


@pytest.mark.parametrize("size, expected", [(10, False), (shards.AUTO_ABOVE + 1, True)])
def test_auto_shards_only_an_index_too_large_to_load(size, expected):
    assert shards.too_large([{"location": "a.html", "title": "", "text": "x" * size}]) is expected


def test_the_stop_words_are_lunrs():
    source = (REPO / "node_modules" / "lunr" / "lunr.js")
    if not source.exists():
        pytest.skip("lunr is not installed (npm ci)")
    listed = re.search(r"lunr\.stopWordFilter = lunr\.generateStopWordFilter\(\[(.*?)\]\)", source.read_text(), re.S)
    assert listed and re.findall(r"'([^']*)'", listed.group(1)) == shards.STOP_WORDS


def test_a_letter_with_many_words_gets_lists_by_longer_beginnings_and_every_word_is_found(tmp_path):
    many = [{"location": f"p{i}.html", "title": f"s{i:05d}x word{i % 7}", "text": f"sarcosine {i}"}
            for i in range(6000)]
    manifest = shards.write(many, CONFIG, tmp_path)
    folder = tmp_path / manifest["path"]
    s = f"{ord('s'):x}"
    assert s not in manifest["vocab"] and f"{s}-{ord('0'):x}" not in manifest["vocab"]
    assert f"{s}-{ord('0'):x}-{ord('0'):x}" in manifest["vocab"]
    assert all((folder / "v" / f"{k}.json").stat().st_size < 2 * shards.VOCAB_BYTES for k in manifest["vocab"])
    for i in range(0, 6000, 97):
        assert set(lookup(folder, manifest, f"s{i:05d}x")) == {i}
    assert len(lookup(folder, manifest, "sarcosine")) == shards.MAX_POSTINGS


def test_a_warm_build_takes_unchanged_batches_whole_and_gathers_again_only_the_changed_ones(tmp_path, monkeypatch):
    """The postings of each batch of pages are kept (kind "postings"): a rebuild takes the batch as
    the build before kept it where no page changed, puts right only the changed pages' entries
    where some page's words changed (`_Before.patched`), gathers again a batch where a page moved,
    and writes what a build without a cache does."""
    monkeypatch.setattr(shards, "BATCH_PAGES", 64)  # five batches read
    monkeypatch.setattr(shards, "POSTINGS_PAGES", 32)  # ten runs of postings kept
    monkeypatch.setattr(shards, "MAX_POSTINGS", 50)  # the common word keeps its best, across batches
    folder = tmp_path / "cache"
    before = entries(300)
    cold = shards.write(before, CONFIG, tmp_path / "cold", cache.Cache(folder, "f"))
    after = [dict(e) for e in before]
    after[200]["text"] = "an edited section of page one hundred"  # page 100: the fourth run
    for entry in after[500:502]:  # page 250, the same words at another address: the eighth run
        entry["location"] = entry["location"].replace("p250.html", "q250.html")
    gathered = []
    real = shards._Batch.of
    monkeypatch.setattr(shards._Batch, "of", classmethod(lambda cls, reads, groups: gathered.append(min(reads))
                                                         or real(reads, groups)))
    patched = []
    real_patch = shards._Before.patched
    monkeypatch.setattr(shards._Before, "patched", lambda self, pages, *rest: ((
        made := real_patch(self, pages, *rest)) and patched.append(pages.start)) or made)
    warm = shards.write(after, CONFIG, tmp_path / "warm", cache.Cache(folder, "f"))
    assert gathered == [224] and patched == [96]
    assert warm == shards.write(after, CONFIG, tmp_path / "none") != cold
    assert files(tmp_path / "warm") == files(tmp_path / "none")
    assert "q250.html" in (tmp_path / "warm" / warm["path"] / "d" / "15.json").read_text(encoding="utf-8")


@pytest.mark.parametrize("seed", range(6))
def test_a_batch_put_right_for_its_changed_pages_writes_what_a_build_without_a_cache_does(tmp_path, monkeypatch,
                                                                                       seed):
    """Pages edited at random (words dropped, added, new to the run, a page's whole text replaced),
    build after build on one cache: each warm build puts its changed runs right (`_Before.patched`)
    rather than gathering them again, and its files are those of a build without a cache."""
    monkeypatch.setattr(shards, "BATCH_PAGES", 64)
    monkeypatch.setattr(shards, "POSTINGS_PAGES", 32)
    monkeypatch.setattr(shards, "MAX_POSTINGS", 40)
    rng = random.Random(seed)
    folder = tmp_path / "cache"
    now = entries(200)
    shards.write(now, CONFIG, tmp_path / "cold", cache.Cache(folder, "f"))
    gathered: list[int] = []
    real = shards._Batch.of
    monkeypatch.setattr(shards._Batch, "of", classmethod(lambda cls, reads, groups: gathered.append(min(reads))
                                                         or real(reads, groups)))
    vocabulary = ["glycine", "serine", "nmda", "receptor", "sarcosine", "mentioned", "novel", f"only{seed}"]
    for step in range(4):
        now = [dict(e) for e in now]
        for k in rng.sample(range(len(now)), rng.randint(1, 5)):
            now[k]["text"] = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(0, 6)))
            if rng.random() < 0.3:
                now[k]["title"] = f"Retitled {step} {rng.choice(vocabulary)}"
        gathered.clear()
        warm = shards.write(now, CONFIG, tmp_path / f"warm{step}", cache.Cache(folder, "f"))
        assert gathered == []
        assert warm == shards.write(now, CONFIG, tmp_path / f"none{step}")
        assert files(tmp_path / f"warm{step}") == files(tmp_path / f"none{step}")


def test_a_run_where_an_unchanged_page_moved_beside_a_changed_one_is_gathered_again_whole(tmp_path, monkeypatch):
    """A batch is put right only while its unchanged entries keep their addresses: a page whose
    words are as before but whose address changed, in a run with an edited page, has its run
    gathered again, and the files are those of a build without a cache."""
    monkeypatch.setattr(shards, "POSTINGS_PAGES", 32)
    folder = tmp_path / "cache"
    before = entries(100)
    shards.write(before, CONFIG, tmp_path / "cold", cache.Cache(folder, "f"))
    after = [dict(e) for e in before]
    after[20]["text"] = "an edited page ten"  # page 10: the first run
    for entry in after[40:42]:  # page 20, the same words at another address: the first run too
        entry["location"] = entry["location"].replace("p20.html", "q20.html")
    gathered = []
    real = shards._Batch.of
    monkeypatch.setattr(shards._Batch, "of", classmethod(lambda cls, reads, groups: gathered.append(min(reads))
                                                         or real(reads, groups)))
    warm = shards.write(after, CONFIG, tmp_path / "warm", cache.Cache(folder, "f"))
    assert gathered == [0]
    assert warm == shards.write(after, CONFIG, tmp_path / "none")
    assert files(tmp_path / "warm") == files(tmp_path / "none")
    assert "q20.html" in (tmp_path / "warm" / warm["path"] / "d" / "1.json").read_text(encoding="utf-8")


def made_again(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The words whose postings a build makes (rather than takes as the build before wrote them)."""
    made: list[str] = []
    real = shards._Postings.best_of
    monkeypatch.setattr(shards._Postings, "best_of", lambda self, term: made.append(term) or real(self, term))
    return made


def test_a_warm_build_makes_again_only_the_postings_of_the_words_an_edit_weighs_otherwise(tmp_path, monkeypatch):
    """Kind "terms": a word's postings as the build before wrote them are used while the entries
    are numbered as then and no changed entry weighs the word otherwise; the files are those of a
    build without a cache, whatever changed."""
    monkeypatch.setattr(shards, "MAX_POSTINGS", 50)  # the common word keeps its best 50 of 300
    folder = tmp_path / "cache"
    before = entries(300)
    shards.write(before, CONFIG, tmp_path / "cold", cache.Cache(folder, "f"))
    made = made_again(monkeypatch)

    after = [dict(e) for e in before]
    after[10]["text"] = "glycine noted once in 5."  # page 5: "mentioned" out, "noted" in; glycine's tf as before
    warm = shards.write(after, CONFIG, tmp_path / "warm", cache.Cache(folder, "f"))
    assert sorted(made) == ["mentioned", "noted"]
    assert warm == shards.write(after, CONFIG, tmp_path / "none")
    assert files(tmp_path / "warm") == files(tmp_path / "none")

    made.clear()
    again = [dict(e) for e in after]
    again[20]["text"] = "glycine glycine mentioned once in 10."  # the common word weighs more there
    shards.write(again, CONFIG, tmp_path / "warm2", cache.Cache(folder, "f"))
    assert sorted(made) == ["glycine"]
    shards.write(again, CONFIG, tmp_path / "none2")
    assert files(tmp_path / "warm2") == files(tmp_path / "none2")

    made.clear()  # one entry more: every entry after it is numbered anew, every word made again
    more = again[:21] + [{"location": "p10.html#t", "title": "Another", "text": "a new section"}] + again[21:]
    shards.write(more, CONFIG, tmp_path / "warm3", cache.Cache(folder, "f"))
    assert len(made) == len(set(made)) > 300
    shards.write(more, CONFIG, tmp_path / "none3")
    assert files(tmp_path / "warm3") == files(tmp_path / "none3")


def test_postings_kept_in_a_form_not_their_own_are_made_again(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    before = entries(50)
    shards.write(before, CONFIG, tmp_path / "cold", cache.Cache(folder, "f"))
    store = cache.Cache(folder, "f")
    (entry,) = [p for p in (folder / "f" / "terms").rglob("*") if p.is_file()]
    keys, members, parts = store.get_data("terms", entry.name)
    store.put_data("terms", entry.name, (keys, {**members, "section": "junk", "page": (1, 2)}, parts))
    made = made_again(monkeypatch)
    after = [dict(e) for e in before]
    after[10]["text"] = "an edited entry"
    shards.write(after, CONFIG, tmp_path / "warm", cache.Cache(folder, "f"))
    assert sorted(made) == ["5", "edited", "entry", "glycine", "mentioned", "once", "page", "section"]
    shards.write(after, CONFIG, tmp_path / "none")
    assert files(tmp_path / "warm") == files(tmp_path / "none")
