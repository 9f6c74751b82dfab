"""Accessibility: axe-core finds no serious or critical violation, in the light and dark schemes."""
from __future__ import annotations

import pytest

from conftest import AXE, unavailable


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        unavailable(f"axe-core is not installed at {AXE} (npm ci)")
    return AXE.read_text(encoding="utf-8")


def pages(kbdata) -> list[str]:
    compound = kbdata.entities["compounds"].get("sarcosine") or next(iter(kbdata.entities["compounds"].values()))
    key = next(iter(kbdata.by_citation), None) or next(iter(kbdata.refs))
    ref = "".join(ch if ch.isalnum() else "-" for ch in key.lower()).strip("-")
    while "--" in ref:
        ref = ref.replace("--", "-")
    return ["index.html", f"compounds/{compound.slug}.html", f"references/{ref}.html", "evidence-map.html"]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_or_critical_axe_violations(watched, kbdata, axe_source, scheme):
    # bypass_csp lets the test inject axe-core by content; only this test does so
    tab = watched(color_scheme=scheme, bypass_csp=True)
    problems = []
    for path in pages(kbdata):
        page = tab.goto(path)
        expected = "slate" if scheme == "dark" else "default"
        assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == expected
        page.add_script_tag(content=axe_source)
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        for v in result["violations"]:
            if v["impact"] in ("serious", "critical"):
                problems.append((path, v["id"], v["help"], [n["target"] for n in v["nodes"]][:5]))
    assert problems == [], "\n".join(map(str, problems))
