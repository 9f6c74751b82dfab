"""Chemistry basics in a compound's box: its formula (Hill notation, counts as subscripts), molar
mass and structure drawing are shown where a record gave them; the drawing is an SVG file the site
serves itself; the validator checks the formula's notation and that the mass agrees with it.

The real site is the session's `mkdocs build --strict` (tests/conftest.py).
"""
from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup

from kb import build, validate
from kbtest import REPO

SVG = "{http://www.w3.org/2000/svg}"


def compounds_with_chemistry() -> list:
    kb = build.check(REPO).kb
    return [e for e in kb.entities["compounds"].values() if e.data.get("formula")]


def box(page) -> dict[str, object]:
    """The compound's identifier box: row label -> the value's cell."""
    table = page.find("table")
    return {tr.find_all("td")[0].get_text(strip=True): tr.find_all("td")[1] for tr in table.find_all("tr")
            if len(tr.find_all("td")) == 2}


def test_every_compound_with_a_formula_shows_it_with_its_mass_and_source(site):
    compounds = compounds_with_chemistry()
    assert compounds, "no compound has a formula: nothing to check"
    for e in compounds:
        page = BeautifulSoup((site / "compounds" / f"{e.slug}.html").read_text(encoding="utf-8"), "html.parser")
        cells = box(page)
        formula = cells["Molecular formula"]
        assert formula.get_text() == e.data["formula"], e.id
        digits = re.findall(r"\d+", e.data["formula"])
        assert [s.get_text() for s in formula.find_all("sub")] == digits, e.id
        assert cells["Molar mass"].get_text(strip=True) == f"{e.data['molar_mass']} g/mol", e.id
        seen = [s for s in page.find_all("small") if s.get_text().startswith("Seen in:")]
        assert len(seen) == 1 and e.data["chemistry_seen_in"].split()[0] in seen[0].get_text(), e.id


def test_structure_drawings_are_same_origin_svg_files(site):
    """Every structure <img> on a compound page points at an SVG in the built site (no scheme, no
    host, no path out of the site), with alt text; the file parses as SVG with a viewBox and a title."""
    compounds = compounds_with_chemistry()
    drawn = {e.id for e in compounds if e.data.get("structure")}
    assert drawn, "no compound has a structure drawing: nothing to check"
    seen = set()
    for path in sorted((site / "compounds").glob("*.html")):
        page = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        for img in page.select("img.kb-structure"):
            src = img["src"]
            parts = urlsplit(src)
            assert not parts.scheme and not parts.netloc and not src.startswith("/"), (path.name, src)
            target = (path.parent / posixpath.normpath(parts.path)).resolve()
            assert target.is_relative_to(site.resolve()) and target.is_file(), (path.name, src)
            assert target.suffix == ".svg" and img.get("alt", "").strip(), (path.name, src)
            svg = ET.parse(target).getroot()
            assert svg.tag == f"{SVG}svg" and len(svg.get("viewBox", "").split()) == 4, target.name
            title = svg.find(f"{SVG}title")
            assert title is not None and (title.text or "").strip(), target.name
            assert not re.search(r"(href|src)\s*=\s*[\"'](?!#)", target.read_text(encoding="utf-8")), target.name
            seen.add(path.stem)
    assert seen == drawn


def test_every_drawing_in_the_folder_is_used():
    """A drawing no compound names is dead weight (or a typo in the compound's `structure`)."""
    named = {e.data["structure"] for e in build.check(REPO).kb.entities["compounds"].values()
             if e.data.get("structure")}
    folder = REPO / validate.STRUCTURES_DIR
    assert {p.name for p in folder.iterdir()} == named


@pytest.mark.parametrize("formula, ok", [
    ("C3H7NO2", True), ("C2H5NO2", True), ("CH4", True), ("C8H10NO6P", True), ("ClH", True),
    ("H7C3NO2", False), ("C3H7O2N", False), ("HCl", False), ("C1H4", False), ("C3H7NO2 ", False),
    ("c3h7no2", False), ("C3H7Xx", False), ("C3C4", False), ("C0H4", False), ("", False),
])
def test_formula_must_be_hill_notation(formula, ok):
    assert (validate.parse_formula(formula) is not None) is ok


def test_mass_from_standard_atomic_weights():
    assert validate.formula_mass(validate.parse_formula("C2H5NO2") or {}) == pytest.approx(75.067, abs=1e-3)
    assert validate.formula_mass(validate.parse_formula("C3H7NO3") or {}) == pytest.approx(105.093, abs=1e-3)
