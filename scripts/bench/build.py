"""Jobs 2 and 3: build a corpus with `mkdocs build --strict` and the real `kb` plugin (its phases
timed by timer_hook.py) from a cold cache, then again after editing one claim (the warm rebuild,
reusing the cache), and measure the built site."""
from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import REPO
from .corpus import generate_corpus, insert_token

INDEX_PAGES = re.compile(r"(^|/)index\.html$|^evidence-map\.html$|^evidence-types\.html$|^404\.html$")
TIMER_HOOK = Path(__file__).with_name("timer_hook.py")
KB_PLUGIN = re.compile(r"^  - kb:\n(?: {6,}.*\n)*", re.M)  # the plugin's entry in mkdocs.yml


def site_skeleton(root: Path, plugin: str = "real", search_shards: str | None = None) -> None:
    """Copy what MkDocs needs from the repository; plugin: real | timed; search_shards: the kb
    plugin's option of that name (auto, always, never; None: as mkdocs.yml has it)."""
    (root / "docs").mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "overrides", root / "overrides", dirs_exist_ok=True)
    shutil.copytree(REPO / "docs" / "assets", root / "docs" / "assets", dirs_exist_ok=True)
    shutil.copy2(REPO / "docs" / "about.md", root / "docs" / "about.md")
    write_config(root, plugin, search_shards=search_shards)


def write_config(root: Path, plugin: str, name: str = "mkdocs.yml", search_shards: str | None = None) -> Path:
    """The repository's mkdocs.yml, with the kb plugin as is (real) or with the timing hooks file
    added (timed), and its search_shards option set if given."""
    text = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    entry = KB_PLUGIN.search(text)
    if entry is None:
        raise SystemExit("bench: mkdocs.yml has no `- kb:` entry under plugins: to adapt")
    if search_shards:
        text = text[:entry.end()] + f"      search_shards: {search_shards}\n" + text[entry.end():]
    if plugin == "timed":
        text += f"\nhooks:\n  - {json.dumps(str(TIMER_HOOK))}\n"
    path = root / name
    path.write_text(text, encoding="utf-8")
    return path


def run_measured(cmd: list[str], cwd: Path,
                 env: dict[str, str]) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Run cmd; return wall seconds, the child's peak RSS in MB, and its output."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    out = proc.stdout.read()
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    done = subprocess.CompletedProcess(cmd, proc.returncode, out.decode("utf-8", "replace"))
    return wall, usage.ru_maxrss / 1024, done


def mkdocs_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The builds' environment: the engine imported from the folder this benchmark comes from (not
    whatever copy an editable install points at), so that a clone measures its own code; and
    Python keeping its compiled modules, as it does by default (this machine's environment says
    otherwise), so that a rebuild, as a user's, does not compile the engine again."""
    scripts = str(Path(__file__).resolve().parents[1])
    path = os.pathsep.join([scripts, *filter(None, [os.environ.get("PYTHONPATH", "")])])
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONDONTWRITEBYTECODE": "", "PYTHONPATH": path}
    env.update(extra or {})
    return env


def site_stats(site: Path) -> dict[str, Any]:
    pages, total = [], 0
    for p in site.rglob("*"):
        if p.is_file():
            size = p.stat().st_size
            total += size
            if p.suffix == ".html":
                pages.append((size, p.relative_to(site).as_posix()))
    non_index = [x for x in pages if not INDEX_PAGES.search(x[1])]
    index = [x for x in pages if INDEX_PAGES.search(x[1])]
    search = site / "search" / "search_index.json"
    entries = json.loads(search.read_text(encoding="utf-8")) if search.exists() else {"config": {}, "docs": []}
    shards = entries["config"].get("kb_shards")  # the index in shards (kb.shards): search_index.json is its config
    search_files = [p.stat().st_size for p in (site / "search").rglob("*") if p.is_file()] if search.exists() else []
    return {
        "pages": len(pages), "site_mb": total / 1e6,
        "largest_page": max(non_index, default=(0, "")),
        "largest_index_page": max(index, default=(0, "")),
        "median_page_kb": statistics.median(s for s, _ in pages) / 1e3 if pages else 0.0,
        "search_mb": sum(search_files) / 1e6,
        "search_docs": shards["docs"] if shards else len(entries["docs"]),
        "search_sharded": bool(shards),
        "search_files": len(search_files),
        "search_largest_kb": max(search_files, default=0) / 1e3,
    }


def bench_size(n_claims: int, work: Path, quick: bool, log: Callable[[str], None],
               search_shards: str | None = None) -> dict[str, Any]:
    root = work / f"kb-{n_claims}"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    t0 = time.perf_counter()
    counts = generate_corpus(root, n_claims)
    corpus_s = time.perf_counter() - t0
    site_skeleton(root, plugin="timed", search_shards=search_shards)
    times_file = root / "bench_times.json"
    log(f"[{n_claims}] corpus written in {corpus_s:.1f}s: {counts}; building with the real plugin ...")
    wall, peak, res = run_measured([sys.executable, "-m", "mkdocs", "build", "--strict"], root,
                                   mkdocs_env({"KB_BENCH_TIMES": str(times_file)}))
    if res.returncode != 0:
        sys.stderr.write(res.stdout[-5000:])
        raise SystemExit(f"bench: mkdocs build --strict failed at {n_claims} claims")
    t = json.loads(times_file.read_text(encoding="utf-8"))
    row: dict[str, Any] = {"claims": n_claims, "counts": counts, "validate_s": t["check"],
                           "generate_s": t["render"] + t["write"], "total_s": wall, "peak_mb": peak}
    row["mkdocs_s"] = wall - row["validate_s"] - row["generate_s"]  # MkDocs + theme + plugin's CSP
    row.update(site_stats(root / "site"))
    log(f"[{n_claims}] full build {wall:.1f}s (validate {row['validate_s']:.1f}s, generate "
        f"{row['generate_s']:.1f}s), peak {peak:.0f} MB, {row['pages']} pages")
    row["engine_share"] = (row["validate_s"] + row["generate_s"]) / wall
    if not quick:
        claim_file = sorted((root / "claims").glob("*.yaml"))[0]
        claim_file.write_text(insert_token(claim_file.read_text(encoding="utf-8"), "Benchedit"), encoding="utf-8")
        warm, _, res = run_measured([sys.executable, "-m", "mkdocs", "build", "--strict"], root,
                                    mkdocs_env({"KB_BENCH_TIMES": str(times_file)}))
        if res.returncode != 0 or "Benchedit" not in "".join(
                p.read_text(encoding="utf-8") for p in (root / "site" / "sources").glob("*.html")):
            sys.stderr.write(res.stdout[-5000:])
            raise SystemExit(f"bench: the warm rebuild at {n_claims} claims failed or lost the edit")
        row["warm_s"] = warm
        reused = re.search(r"(\d+) of them reused from the cache", res.stdout)
        row["reused"] = int(reused.group(1)) if reused else 0
        log(f"[{n_claims}] one claim edited, warm rebuild {warm:.1f}s ({row['reused']:,} of "
            f"{row['pages']:,} pages reused from the cache)")
    row["root"] = str(root)
    return row
