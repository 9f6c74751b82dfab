"""The real knowledge base: it validates, and a real `mkdocs build --strict` makes a complete site."""
from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.request
from pathlib import Path

import yaml

from kb import build
from kbtest import REPO, copy_repo, mkdocs, mkdocs_serve

REQUIRED_COMPOUNDS = ["sarcosine", "d-serine", "l-serine", "glycine", "ser-gly"]


def html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_real_data_validates_without_warnings():
    checked = build.check(REPO)
    assert [w.format() for w in checked.warnings] == []
    assert {c.evidence_type for c in checked.kb.claims} == {"animal", "human trial", "anecdote", "in vitro"}


def test_required_pages_exist(site):
    for compound in REQUIRED_COMPOUNDS:
        assert (site / "compounds" / f"{compound}.html").is_file(), compound
    kb = build.check(REPO).kb
    for kind in ("mechanisms", "conditions", "methods", "sources"):
        for ident in kb.entities[kind]:
            assert (site / kind / f"{ident.lower()}.html").is_file(), (kind, ident)
    for key in kb.refs:
        assert (site / "references" / f"{re.sub('[^a-z0-9]+', '-', key.lower()).strip('-')}.html").is_file(), key


def test_every_page_carries_the_one_disclaimer(site):
    config = yaml.load((REPO / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)
    text = " ".join(config["extra"]["disclaimer"].split())
    assert text.startswith("Research only, not medical advice."), "a fixed phrase, not only what the config says"
    pages = html_pages(site)
    assert len(pages) > 50
    for page in pages:
        html = page.read_text(encoding="utf-8")
        match = re.search(r'<div class="research-only[^"]*"[^>]*>(.*?)</div>', html, re.S)
        assert match, page
        assert text.replace("'", "&#39;") in " ".join(re.sub("<[^>]+>", " ", match.group(1)).split()), page


def test_nothing_loads_from_another_origin(site):
    loads = re.compile(r'<(?:script|img|iframe|source|link)\b(?![^>]*\brel="canonical")[^>]*?(?:src|href)="((?:https?:)?//[^"]+)"', re.I)
    for page in html_pages(site):
        html = page.read_text(encoding="utf-8")
        offenders = [u for u in loads.findall(html) if 'rel="canonical"' not in u]
        assert offenders == [], (page, offenders)
        assert "fonts.googleapis" not in html and "fonts.gstatic" not in html


def test_exports_match_the_claims(site):
    kb = build.check(REPO).kb
    records = json.loads((site / "data" / "claims.json").read_text(encoding="utf-8"))
    assert [r["id"] for r in records] == [c.id for c in kb.claims]
    assert set(records[0]) >= {"id", "statement", "evidence_type", "compounds", "mechanisms",
                               "conditions", "citations", "source", "caveat", "quantities"}
    assert (site / "data" / "claims.csv").read_text(encoding="utf-8").startswith("id,statement,evidence_type")
    assert (site / "data" / "references.bib").read_bytes() == (REPO / "references.bib").read_bytes()


def test_global_nav_stays_small(site):
    html = (site / "index.html").read_text(encoding="utf-8")
    nav = re.search(r'<nav class="md-nav md-nav--primary".*?</nav>\s*</div>', html, re.S).group(0)
    assert "compounds/sarcosine.html" not in nav
    assert len(re.findall(r'class="md-nav__link', nav)) < 30


def test_misspelled_evidence_type_fails_the_build_naming_file_and_line(tmp_path):
    root = copy_repo(tmp_path)
    target = root / "claims" / "neurobenefits.yaml"
    lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
    n = next(i for i, line in enumerate(lines) if "evidence_type: human trial" in line)
    lines[n] = lines[n].replace("human trial", "human trail")
    target.write_text("".join(lines), encoding="utf-8")
    run = mkdocs(root)
    assert run.returncode != 0
    assert f"claims/neurobenefits.yaml:{n + 1}:" in run.output and "KB206" in run.output
    assert "did you mean 'human trial'" in run.output
    assert "Traceback" not in run.output
    assert not (root / "site").exists()


def test_failed_build_leaves_last_good_site_and_docs(tmp_path):
    root = copy_repo(tmp_path)
    assert mkdocs(root).returncode == 0
    before = {p: p.read_bytes() for p in sorted((root / "site").rglob("*")) if p.is_file()}
    docs_before = {p: p.read_bytes() for p in sorted((root / "docs").rglob("*")) if p.is_file()}
    with (root / "references.bib").open("a", encoding="utf-8") as fh:
        fh.write("\n@article{broken,\n  title = {Unclosed\n")
    run = mkdocs(root)
    assert run.returncode != 0 and "KB401" in run.output
    after = {p: p.read_bytes() for p in sorted((root / "site").rglob("*")) if p.is_file()}
    assert after == before
    assert {p: p.read_bytes() for p in sorted((root / "docs").rglob("*")) if p.is_file()} == docs_before


def test_pages_are_byte_identical_between_builds(tmp_path):
    root = copy_repo(tmp_path)
    assert mkdocs(root).returncode == 0
    first = {p.relative_to(root).as_posix(): p.read_bytes() for p in html_pages(root / "site")}
    assert mkdocs(root).returncode == 0
    second = {p.relative_to(root).as_posix(): p.read_bytes() for p in html_pages(root / "site")}
    assert first == second


def test_every_page_has_a_same_origin_content_security_policy(site):
    for page in html_pages(site):
        html = page.read_text(encoding="utf-8")
        csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)
        assert csp, page
        assert html.index("Content-Security-Policy") < html.find("<script"), page
        policy = csp.group(1)
        assert "default-src 'self'" in policy and "object-src 'none'" in policy
        assert not re.search(r"https?:|\*|'unsafe-inline'[^;]*;\s*$|script-src[^;]*'unsafe-inline'", policy), policy


def _targets(html: str):
    for tag, attr, url in re.findall(r'<(a|link|script|img)\b[^>]*?\b(href|src)="([^"]*)"', html):
        yield tag, url


def test_every_internal_link_and_anchor_resolves(site):
    ids: dict[Path, set[str]] = {}

    def anchors(path: Path) -> set[str]:
        if path not in ids:
            ids[path] = set(re.findall(r'\b(?:id|name)="([^"]+)"', path.read_text(encoding="utf-8")))
        return ids[path]

    broken = []
    for page in html_pages(site):
        for tag, url in _targets(page.read_text(encoding="utf-8")):
            if re.match(r"[a-z][a-z0-9+.-]*:|//", url) or page.name == "404.html":
                continue
            path, _, frag = url.partition("#")
            target = (page.parent / path).resolve() if path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append((page.relative_to(site).as_posix(), url))
            elif frag and target.suffix == ".html" and frag not in anchors(target):
                broken.append((page.relative_to(site).as_posix(), url))
    assert broken == []


OUTBOUND = {
    "doi.org": re.compile(r"https://doi\.org/10\.\d{4,9}/[^\s\"<>]+"),
    "pubmed.ncbi.nlm.nih.gov": re.compile(r"https://pubmed\.ncbi\.nlm\.nih\.gov/[1-9]\d*/?"),
    "pmc.ncbi.nlm.nih.gov": re.compile(r"https://pmc\.ncbi\.nlm\.nih\.gov/articles/PMC[1-9]\d*/?"),
    "pubchem.ncbi.nlm.nih.gov": re.compile(r"https://pubchem\.ncbi\.nlm\.nih\.gov/compound/[1-9]\d*"),
    "commonchemistry.cas.org": re.compile(r"https://commonchemistry\.cas\.org/detail\?cas_rn=\d{2,7}-\d{2}-\d"),
    "www.ebi.ac.uk": re.compile(r"https://www\.ebi\.ac\.uk/chebi/searchId\.do\?chebiId=CHEBI:[1-9]\d*"),
}


def test_outbound_identifier_links_are_well_formed(site):
    seen = set()
    for page in html_pages(site):
        for tag, url in _targets(page.read_text(encoding="utf-8")):
            host = re.match(r"https?://([^/?#]+)", url)
            if host and host.group(1) in OUTBOUND:
                seen.add(host.group(1))
                assert OUTBOUND[host.group(1)].fullmatch(url.replace("&amp;", "&")), (page, url)
    assert {"doi.org", "pubmed.ncbi.nlm.nih.gov", "pmc.ncbi.nlm.nih.gov"} <= seen


def test_serve_shows_an_edited_claim_on_reload_and_leaves_docs_alone(tmp_path):
    root = copy_repo(tmp_path)
    proc, port = mkdocs_serve(root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def page() -> str:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/compounds/sarcosine.html", timeout=5) as r:
                return r.read().decode("utf-8")
        except OSError:
            return ""

    def wait_for(text: str) -> bool:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if text in page():
                return True
            time.sleep(0.2)
        return False

    try:
        assert wait_for("Sarcosine")
        target = root / "claims" / "neurobenefits.yaml"
        text = target.read_text(encoding="utf-8")
        target.write_text(text.replace("statement: >-\n", "statement: >-\n      Zyxwvut edited.\n", 1)
                          if "statement: >-\n" in text else text, encoding="utf-8")
        assert "Zyxwvut" in target.read_text(encoding="utf-8")
        assert wait_for("Zyxwvut edited")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert not (root / "docs" / "compounds").exists()  # serve keeps generated pages in memory
