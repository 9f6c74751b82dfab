"""The JSON Schema published in site/data agrees with the validator.

A real JSON Schema validator (jsonschema, Draft 2020-12) judges every claim file the tests hold
(the error fixtures, the tiny and hostile knowledge bases, the real claims/) and variants of a good
claim with each field dropped or of the wrong type; its verdict, valid or invalid, must be the
engine's. Only what a schema can express is compared: the engine's per-file shape and type checks
(KB2xx). Files that do not load as YAML (KB1xx) and cross-file checks (KB3xx) are outside it, and
so is KB212: a YAML `.nan` has no JSON equivalent, so no JSON Schema can refuse it.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from kb import build, schema, validate
from kb.problems import ERROR
from kb.yamlload import Doc, load_yaml
from kbtest import ERRORS, FIXTURES, REPO, TINY, make_kb

NOT_EXPRESSIBLE = {"KB212"}


def claim_files() -> list[Path]:
    """Every claim file (claims/*.yaml: the schema is that of a claim file) that loads as YAML;
    one that does not (KB1xx) is outside what a schema judges."""
    roots = sorted(p / "claims" for p in ERRORS.iterdir()) + [TINY / "claims", FIXTURES / "hostile" / "claims",
                                                             REPO / "claims"]
    files = [f for root in roots if root.is_dir() for f in sorted(root.glob("*.y*ml"))]
    return [f for f in files if not load_yaml(f.name, f.read_bytes())[1]]


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> jsonschema.protocols.Validator:
    """The schema as the site publishes it (data/claims.schema.json), checked against its meta-schema."""
    root = make_kb(tmp_path_factory.mktemp("schema") / "kb")
    document = json.loads(build.render(build.check(root))["data/claims.schema.json"])
    jsonschema.Draft202012Validator.check_schema(document)
    return jsonschema.Draft202012Validator(document)


def engine_verdict(doc: Doc) -> bool | None:
    """True if the engine's per-file checks find no error a schema can express, False if they find
    one, None if the file's only errors are ones no schema can express."""
    found = [p for p in validate.check_file(doc) if p.severity == ERROR]
    if any(p.code not in NOT_EXPRESSIBLE for p in found):
        return False
    return None if found else True


def disagreement(published, doc: Doc) -> str | None:
    engine = engine_verdict(doc)
    if engine is None:
        return None
    errors = sorted(published.iter_errors(doc.data), key=lambda e: list(e.absolute_path))
    if engine == (not errors):
        return None
    if engine:
        return f"the schema refuses what the engine accepts: {errors[0].message} at {list(errors[0].absolute_path)}"
    codes = sorted({p.code for p in validate.check_file(doc)})
    return f"the schema accepts what the engine refuses ({', '.join(codes)})"


@pytest.mark.parametrize("path", claim_files(), ids=lambda p: p.relative_to(REPO).as_posix())
def test_schema_and_validator_agree_on_every_claim_file(published, path):
    doc, _ = load_yaml(path.relative_to(REPO).as_posix(), path.read_bytes())
    found = disagreement(published, doc)
    assert found is None, found


def variants() -> list[tuple[str, dict]]:
    """A good claim file (the tiny one), then one claim changed: every field dropped, or given a
    value of each wrong type, an unknown key added, a list emptied."""
    good = yaml.safe_load((TINY / "claims" / "tiny.yaml").read_text(encoding="utf-8"))
    out = [("as is", good)]
    wrong = {"null": None, "number": 12, "true": True, "text": "x", "empty text": "", "blank text": "  ",
             "list": ["x"], "empty list": [], "mapping": {"x": "y"}, "list of numbers": [1]}
    for field in schema.RECORDS["claim"].fields:
        data = copy.deepcopy(good)
        data["claims"][0].pop(field.name, None)
        out.append((f"without {field.name}", data))
        for what, value in wrong.items():
            data = copy.deepcopy(good)
            data["claims"][0][field.name] = value
            out.append((f"{field.name} = {what}", data))
    for label, change in [("unknown key", lambda c: c.update(unknown="x")),
                          ("bad id", lambda c: c.update(id="Bad_Id")),
                          ("source without ref", lambda c: c["source"].pop("ref")),
                          ("source with unknown key", lambda c: c["source"].update(page="1")),
                          ("quantity of unknown kind", lambda c: c.update(quantities=[{"kind": "volume", "value": 1,
                                                                                      "unit": "ml", "of": "x"}]))]:
        data = copy.deepcopy(good)
        change(data["claims"][0])
        out.append((label, data))
    for label, data in [("top level a list", [good["claims"]]), ("no known key", {"claim": good["claims"]}),
                        ("claims not a list", {"claims": good["claims"][0]})]:
        out.append((label, data))
    return out


@pytest.mark.parametrize("label, data", variants(), ids=[v[0] for v in variants()])
def test_schema_and_validator_agree_on_each_kind_of_mistake(published, label, data):
    doc, _ = load_yaml("claims/variant.yaml", yaml.safe_dump(data, allow_unicode=True).encode("utf-8"))
    found = disagreement(published, doc)
    assert found is None, found


def test_pre_commit_hooks_pass_on_the_real_data_and_fail_on_a_bad_file(tmp_path):
    """The curators' pre-commit hooks (.pre-commit-config.yaml), run as pre-commit would run
    them: on the real data they pass; on a claim file with a bad verdict both fail."""
    import re as _re
    import shlex
    import shutil
    import subprocess
    import sys

    from kbtest import ERRORS, REPO, make_kb
    hooks = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    assert {h["id"] for h in hooks} == {"kb-check", "kb-schema-check"}
    kb = str(Path(sys.executable).with_name("kb"))

    def run(hook, root):
        files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
        chosen = [f for f in files if _re.search(hook["files"], f)]
        args = shlex.split(hook["entry"])
        args[0] = kb if args[0] == "kb" else shutil.which(args[0])
        if hook.get("pass_filenames", True):
            args += chosen
        return subprocess.run(args, cwd=root, capture_output=True, text=True).returncode

    for hook in hooks:
        assert run(hook, REPO) == 0, hook["id"]
    bad = make_kb(tmp_path / "kb", ERRORS / "KB210-verdict")
    for hook in hooks:
        assert run(hook, bad) == 1, hook["id"]
