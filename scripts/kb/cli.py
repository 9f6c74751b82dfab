"""`kb check` validates; `kb build` validates and writes the generated pages into docs/;
`kb schema-check FILE...` checks claim files against the published JSON Schema (the same one
editors can use), with the `jsonschema` package of the test extras."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import build
from .problems import ValidationFailed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kb", description=__doc__)
    parser.add_argument("command", choices=["check", "build", "schema-check"])
    parser.add_argument("files", nargs="*", type=Path, help="claim files, for schema-check")
    parser.add_argument("--root", type=Path, default=Path("."), help="the repository (default: here)")
    args = parser.parse_args(argv)
    if args.command == "schema-check":
        return schema_check(args.files)
    try:
        if args.command == "check":
            checked = build.check(args.root)
            changed = None
        else:
            checked, changed = build.generate(args.root)
    except ValidationFailed as failed:
        print(failed, file=sys.stderr)
        print(f"kb: {failed.error_count} error(s); nothing was written", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"kb: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    for w in checked.warnings:
        print(w.format(), file=sys.stderr)
    kb = checked.kb
    summary = f"kb: {len(kb.claims)} claims, {len(kb.refs)} references: valid"
    if changed is not None:
        summary += f"; {changed} generated file(s) changed"
    print(summary)
    return 0


def schema_check(files: list[Path]) -> int:
    """Each claim file against claims.schema.json: `path: where: message` for every mismatch."""
    try:
        import jsonschema
    except ImportError:
        print("kb: schema-check needs the jsonschema package (pip install -e '.[test]')", file=sys.stderr)
        return 1
    import yaml

    from .schema import json_schema
    validator = jsonschema.Draft202012Validator(json_schema())
    bad = 0
    for path in files:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            print(f"{path}: cannot be read as YAML ({type(exc).__name__}); run kb check", file=sys.stderr)
            bad += 1
            continue
        for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
            where = "/".join(map(str, error.absolute_path)) or "(top)"
            print(f"{path}: {where}: {error.message}", file=sys.stderr)
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
