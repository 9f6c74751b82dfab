"""Job 5: Material's lunr search index built and queried in node, over a built site's
search_index.json (search.js; lunr 2.3.9, Material's own version, is pinned in package.json and
package-lock.json and installed by `npm ci`, never at run time); for a site whose index is in shards
(kb.shards) there is no lunr index to build, and their number and sizes are reported instead."""
from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import REPO

SCRIPT = Path(__file__).with_name("search.js")
QUERIES = ["glycine", "sarcosine receptor", "serin*", "mice dose weeks", "zzzznothing"]


def bench_search(site: Path, log: Callable[[str], None]) -> dict[str, Any] | None:
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    if "kb_shards" in index["config"]:
        sizes = [p.stat().st_size for p in (site / "search").rglob("*") if p.is_file()]
        shards = {"shards": len(sizes), "shards_mb": sum(sizes) / 1e6, "largest_shard_kb": max(sizes) / 1e3}
        log(f"[search] the index is in shards (kb.shards): {shards['shards']:,} files, {shards['shards_mb']:.1f} "
            f"MB in all, the largest {shards['largest_shard_kb']:.1f} KB; no lunr index to build (Chromium: below)")
        return shards
    node = shutil.which("node")
    if not node:
        log("[search] node not found; search timing skipped")
        return None
    if not (REPO / "node_modules" / "lunr").is_dir():
        log("[search] lunr is not installed: run `npm ci` in the repository (scripts/test.sh does); "
            "search timing skipped")
        return None
    res = subprocess.run([node, "--max-old-space-size=16000", str(SCRIPT),
                          str(site / "search" / "search_index.json"), json.dumps(QUERIES)],
                         cwd=REPO, capture_output=True, text=True)
    if res.returncode != 0:
        log(f"[search] node failed: {res.stderr[-2000:]}")
        return None
    out: dict[str, Any] = json.loads(res.stdout)
    out["queries"] = QUERIES
    log(f"[search] {out['docs']} docs: parse {out['parse_ms']:.0f} ms, lunr index build "
        f"{out['index_ms'] / 1000:.1f} s, queries " + ", ".join(f"{q!r} {t:.0f} ms ({h} hits)"
        for q, t, h in zip(QUERIES, out['query_ms'], out['hits'], strict=True)))
    return out
