"""`python -m bench`: the command line; see the package's docstring."""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from . import __doc__ as usage
from . import report
from .browser import bench_browser_search
from .build import bench_size
from .corpus import CLAIMS_PER_SOURCE, RATIOS
from .search import bench_search
from .serve import bench_serve

DEFAULT_SIZES = [1_000, 10_000, 50_000]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=usage,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--claims", type=int, action="append", help="corpus size (repeatable); default 1000, 10000, 50000")
    ap.add_argument("--quick", action="store_true", help="skip the warm rebuild after a one-claim edit")
    ap.add_argument("--serve", action="store_true", help="measure an edit under mkdocs serve on the real corpus")
    ap.add_argument("--search", action="store_true",
                    help="time search over the largest size: lunr in node, and typing in Chromium")
    ap.add_argument("--search-shards", choices=("auto", "always", "never"),
                    help="the kb plugin's search_shards for the corpora (default: as mkdocs.yml has it, auto)")
    ap.add_argument("--work", type=Path, help="where to build (default: a temp dir, removed unless --keep)")
    ap.add_argument("--keep", action="store_true", help="keep the built corpora")
    args = ap.parse_args(argv)
    sizes = sorted(set(args.claims or DEFAULT_SIZES))
    full = args.claims is None
    work = args.work or Path(tempfile.mkdtemp(prefix="kb-bench-"))
    work.mkdir(parents=True, exist_ok=True)

    def log(msg: str) -> None:
        print(msg, flush=True)

    log("ratios: one per N claims: " + ", ".join(f"{k} 1/{v}" for k, v in RATIOS.items())
        + f"; {CLAIMS_PER_SOURCE} claims per claim file (one file per source article)")
    log(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, work dir {work}")
    rows: list[dict[str, Any]] = []
    serve = search = browser = None
    try:
        for n in sizes:
            rows.append(bench_size(n, work, args.quick, log, args.search_shards))
        if args.serve or full:
            serve = bench_serve(work, log)
        if args.search or full:
            search = bench_search(Path(rows[-1]["root"]) / "site", log)
            browser = bench_browser_search(Path(rows[-1]["root"]) / "site", log)
    finally:
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)

    log("")
    log(report.table(rows))
    log("")
    for line in report.details(rows) + report.checks(rows, serve, search, browser):
        log(line)
    log(report.last_line(rows, serve, search, browser))
    return 0
