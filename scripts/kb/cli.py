"""`kb check` validates; `kb build` validates and writes the generated pages into docs/."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import build
from .problems import ValidationFailed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kb", description=__doc__)
    parser.add_argument("command", choices=["check", "build"])
    parser.add_argument("--root", type=Path, default=Path("."), help="the repository (default: here)")
    args = parser.parse_args(argv)
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


if __name__ == "__main__":
    sys.exit(main())
