"""The evidence model, as a reader meets it in the built site: every badge, count and map cell
stands on a study record, every finding shows its verdict beside its badge, and background notes
are never badged or counted.

The checks read the built HTML only (a DOM, with CSS selectors), following links from a badge to
the study record it stands on, so that they hold whatever the templates do.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from urllib.parse import urldefrag

import pytest
from bs4 import BeautifulSoup, Tag

from kb import schema
from kbtest import FIXTURES, mkdocs, site_project

EV_CLASS = re.compile(r"^kb-ev-(.+)$")
TYPES = {t.replace(" ", "-"): t for t in schema.EVIDENCE_ORDER}


def badge_type(badge: Tag) -> str:
    return next(EV_CLASS.match(c).group(1) for c in badge["class"] if EV_CLASS.match(c))


class Site:
    """The built pages, parsed once."""

    def __init__(self, root: Path):
        self.root = root
        self.pages = {p.relative_to(root).as_posix(): BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser")
                      for p in sorted(root.rglob("*.html"))}

    def article(self, rel: str) -> Tag:
        return self.pages[rel].select_one("article")

    def resolve(self, rel: str, href: str) -> tuple[str, str]:
        path, frag = urldefrag(href)
        parts = (Path(rel).parent / path).as_posix().split("/") if path else rel.split("/")
        out: list[str] = []
        for part in parts:
            if part == "..":
                out.pop()
            elif part not in (".", ""):
                out.append(part)
        return "/".join(out), frag

    def study_types(self, rel: str) -> set[str]:
        """The evidence types a reference page's study record gives (empty: no study record)."""
        record = self.article(rel).select_one("#study")
        if record is None:
            return set()
        table = record.find_next("table")
        row = next(tr for tr in table.select("tr") if tr.get_text(" ", strip=True).startswith("Evidence type"))
        return {badge_type(b) for b in row.select(".kb-badge")}

    def claims(self, rel: str) -> list[Tag]:
        return self.article(rel).select(".kb-claim")


def claim_problems(site: Site, rel: str, claim: Tag) -> list[str]:
    where = f"{rel}#{claim.get('id')}"
    labels = claim.select_one(".kb-claim__labels")
    badges = claim.select(".kb-badge")
    verdicts = claim.select(".kb-verdict")
    out = []
    if len(badges) != 1 or len(verdicts) != 1 or labels is None:
        return [f"{where}: a finding needs exactly one badge and one verdict chip, side by side"]
    if badges[0].find_parent(class_="kb-claim__labels") is not labels or \
            verdicts[0].find_parent(class_="kb-claim__labels") is not labels:
        out.append(f"{where}: the verdict chip is not beside the badge")
    t = badge_type(badges[0])
    if claim.get("data-evidence") != t:
        out.append(f"{where}: badge {t} but data-evidence {claim.get('data-evidence')}")
    meta = claim.select_one(".kb-meta")
    study_label = meta.find("strong", string="Study:") if meta else None
    if study_label is None:
        return out + [f"{where}: a {t} badge with no study behind it"]
    links = []
    for sib in study_label.next_siblings:
        if isinstance(sib, Tag) and sib.name in ("br", "strong"):
            break
        if isinstance(sib, Tag) and sib.name == "a":
            links.append(sib)
    types = set()
    for a in links:
        target, _ = site.resolve(rel, a["href"])
        types |= site.study_types(target)
    if t not in types:
        out.append(f"{where}: badge '{t}', but its studies ({', '.join(a['href'] for a in links)}) "
                   f"are {sorted(types) or 'no study records'}")
    return out


def count_problems(site: Site, rel: str) -> list[str]:
    """The counts line of a claim list equals the findings listed below it, type by type."""
    out = []
    article = site.article(rel)
    listed = Counter(c["data-evidence"] for c in article.select(".kb-claim"))
    for counts in article.select(".kb-counts"):
        shown = {}
        for badge in counts.select(".kb-badge"):
            number = badge.find_parent("a").find_next_sibling("strong") if badge.find_parent("a") else badge.find_next_sibling("strong")
            shown[badge_type(badge)] = int(number.get_text())
        if shown != dict(listed):
            out.append(f"{rel}: counts {shown} but the findings listed are {dict(listed)}")
    return out


def map_problems(site: Site) -> list[str]:
    """Each evidence-map cell: its count equals the findings of that type on the condition page
    that involve the row's compound."""
    out = []
    rel = "evidence-map.html"
    cells = site.article(rel).select("a.kb-map-entry")
    if not cells:
        out.append(f"{rel}: no map cells")
    for entry in cells:
        group = entry.find_parent("tbody")
        compound, _ = site.resolve(rel, group.select_one(".kb-map__head a")["href"])
        target, frag = site.resolve(rel, entry["href"])
        badge = entry.select_one(".kb-badge")
        n = int(entry.get_text(" ", strip=True).split()[-1])
        involving = [c for c in site.claims(target)
                     if c["data-evidence"] == badge_type(badge) and any(
                         site.resolve(target, a["href"])[0] == compound for a in c.select(".kb-meta a"))]
        if len(involving) != n:
            out.append(f"{rel}: {compound} x {target}: {badge_type(badge)} {n}, "
                       f"but the condition page lists {len(involving)}")
        if not involving:
            out.append(f"{rel}: {compound} x {target}: a map cell with no finding behind it")
    return out


def section_problems(site: Site, rel: str) -> list[str]:
    """A section index's counts per entity equal the findings on the entity's page."""
    out = []
    for row in site.article(rel).select("tbody tr"):
        link = row.select_one("td a")
        target, _ = site.resolve(rel, link["href"])
        listed = Counter(c["data-evidence"] for c in site.claims(target))
        shown = {badge_type(e.select_one(".kb-badge")): int(e.get_text(" ", strip=True).split()[-1])
                 for e in row.select(".kb-map-entry")}
        if shown != dict(listed):
            out.append(f"{rel}: {target} shows {shown} but its page lists {dict(listed)}")
    return out


def bottom_line_problems(site: Site, rel: str) -> list[str]:
    """Each bottom-line card's counts equal the page's findings that concern its entity, and its
    strongest design is the strongest among them."""
    out = []
    for card in site.article(rel).select(".kb-bottom"):
        target, _ = site.resolve(rel, card.select_one(".kb-bottom__title a")["href"])
        concerned = Counter(c["data-evidence"] for c in site.claims(rel)
                            if any(site.resolve(rel, a["href"])[0] == target for a in c.select(".kb-meta a")))
        shown = {badge_type(e.select_one(".kb-badge")): int(e.get_text(" ", strip=True).split()[-1])
                 for e in card.select(".kb-bottom__counts .kb-map-entry")}
        if shown != dict(concerned):
            out.append(f"{rel}: bottom line for {target} shows {shown}, the page lists {dict(concerned)}")
        strongest = next(t.replace(" ", "-") for t in schema.EVIDENCE_ORDER if t.replace(" ", "-") in concerned)
        label = schema.EVIDENCE_TYPES[TYPES[strongest]][0]
        if f"Strongest design: {label}" not in card.get_text(" ", strip=True):
            out.append(f"{rel}: bottom line for {target} does not name {label} as the strongest design")
    return out


def evidence_problems(site: Site) -> list[str]:
    """Every badge on every page, accounted for."""
    out: list[str] = []
    all_claims: dict[str, str] = {}
    for rel in site.pages:
        article = site.article(rel)
        if article is None:
            continue
        for claim in article.select(".kb-claim"):
            out += claim_problems(site, rel, claim)
            all_claims[claim["id"]] = claim["data-evidence"]
        for note in article.select(".kb-note"):
            if note.select(".kb-badge"):
                out.append(f"{rel}#{note.get('id')}: a background note wears an evidence badge")
        out += count_problems(site, rel)
        out += bottom_line_problems(site, rel)
        for badge in article.select(".kb-badge"):
            allowed = (badge.find_parent(class_="kb-claim") or badge.find_parent(class_="kb-counts")
                       or badge.find_parent(class_="kb-bottom__counts")
                       or badge.find_parent(class_="kb-map-entry") or badge.find_parent(class_="kb-pair")
                       or (rel.startswith("references/") and badge.find_parent("table"))
                       or (rel == "evidence-types.html" and badge.find_parent("h2"))
                       or (rel == "index.html" and badge.find_parent("li")))
            if not allowed:
                out.append(f"{rel}: a {badge_type(badge)} badge outside any finding, count or map cell")
    # the condition pages' "by compound" lists: each badge points at a finding of its type
    for rel in (r for r in site.pages if r.startswith("conditions/")):
        for pair in site.article(rel).select(".kb-pair li"):
            target = pair.select_one("a[href^='#']")["href"][1:]
            if all_claims.get(target) != badge_type(pair.select_one(".kb-badge")):
                out.append(f"{rel}: '{target}' listed as {badge_type(pair.select_one('.kb-badge'))}")
    # the home page's totals are the distinct findings of the whole site
    totals = Counter(all_claims.values())
    for item in site.article("index.html").select("li"):
        badge = item.select_one(".kb-badge")
        if badge is not None:
            n = int(item.select_one("strong").get_text())
            if totals[badge_type(badge)] != n:
                out.append(f"index.html: {badge_type(badge)} {n}, but the site lists {totals[badge_type(badge)]}")
    out += map_problems(site)
    for section in ("compounds", "mechanisms", "conditions", "methods", "sources"):
        out += section_problems(site, f"{section}/index.html")
    return out


@pytest.fixture(scope="module")
def real(site) -> Site:
    return Site(site)


def test_every_badge_count_and_map_cell_stands_on_a_study_record(real):
    assert evidence_problems(real) == []
    assert sum(len(real.claims(r)) for r in real.pages if r.startswith("sources/")) > 20


def test_the_checker_sees_a_badge_with_no_study_behind_it(tmp_path):
    """The tiny knowledge base passes; with a claim citing a study whose record has a different
    type, the built pages fail the same check (the engine's own guard KB307 is bypassed by editing
    the study page after the build, as a broken template would)."""
    root = site_project(tmp_path / "tiny", FIXTURES / "tiny")
    assert mkdocs(root).returncode == 0
    assert evidence_problems(Site(root / "site")) == []
    page = root / "site" / "references" / "jones2010mice.html"
    html = page.read_text(encoding="utf-8")
    page.write_text(html.replace("kb-ev-animal", "kb-ev-human-trial"), encoding="utf-8")
    assert any("badge 'animal', but its studies" in p for p in evidence_problems(Site(root / "site")))


def test_background_notes_are_shown_never_badged_never_counted(real):
    notes = [n for rel in real.pages if rel.startswith("sources/") for n in real.article(rel).select(".kb-note")]
    assert notes, "the real data has background notes, shown on their source pages"
    for rel in real.pages:
        article = real.article(rel)
        if article is not None and article.select(".kb-note"):
            heading = article.select_one("#background-notes")
            assert heading is not None and "not evidence" in heading.get_text(), rel


def test_exports_carry_the_model(real):
    claims = json.loads((real.root / "data" / "claims.json").read_text(encoding="utf-8"))
    studies = {s["id"]: s for s in json.loads((real.root / "data" / "studies.json").read_text(encoding="utf-8"))}
    for c in claims:
        # the old contract still holds
        assert {"id", "statement", "evidence_type", "compounds", "mechanisms", "conditions",
                "citations", "source"} <= set(c)
        assert c["verdict"] in schema.VERDICTS and c["article_says"]
        assert c["studies"] and c["evidence_type"] in {t for k in c["studies"] for t in studies[k]["evidence_type"]}
    background = json.loads((real.root / "data" / "background.json").read_text(encoding="utf-8"))
    assert background and not ({b["id"] for b in background} & {c["id"] for c in claims})


def test_curators_guide_examples_are_real_records():
    """The guide's finding, study and background-note examples are records of the real data,
    shown with their real evidence type, verdict, citations and source."""
    import yaml
    from kbtest import REPO
    from kb import build
    kb = build.check(REPO).kb
    guide = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", guide, re.S)]
    findings = {c.id: c for c in kb.claims}
    notes = {b.id: b for b in kb.background}
    seen = set()
    for block in blocks:
        for key, real in (("claims", findings), ("background", notes), ("studies", kb.entities["studies"])):
            for item in (block or {}).get(key, []) if isinstance(block, dict) else []:
                assert item["id"] in real, f"the guide's {key} example '{item['id']}' is not in the data"
                record = real[item["id"]]
                data = record.data if key == "studies" else record.__dict__
                for field in ("evidence_type", "verdict", "citations", "source", "compounds", "conditions"):
                    if field in item:
                        assert item[field] == data[field], (item["id"], field)
                seen.add(key)
    assert seen == {"claims", "background", "studies"}


def test_human_trial_records_give_design_size_and_duration():
    """The numbers a reader needs to weigh a trial live in its study record, not in caveat prose."""
    from kbtest import REPO
    from kb import build
    kb = build.check(REPO).kb
    trials = [s for s in kb.entities["studies"].values() if "human trial" in s.types]
    assert len(trials) >= 5
    for s in trials:
        assert all(s.data.get(f) not in (None, "") for f in ("design", "n", "duration", "population")), s.id
