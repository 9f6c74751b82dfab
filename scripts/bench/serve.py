"""Job 4: seconds from saving an edited claim to the served page showing it, under `mkdocs serve`
on the real corpus (or another folder holding claims/ and references.bib)."""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from . import REPO
from .build import mkdocs_env, site_skeleton
from .corpus import insert_token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            body: bytes = r.read()
            return body.decode("utf-8", "replace")
    except OSError:
        return None


def bench_serve(work: Path, log: Callable[[str], None], corpus: Path | None = None,
                timeout: float = 600) -> dict[str, Any]:
    """Seconds from saving an edited claim to the served page showing it, under `mkdocs serve`.

    corpus: a folder holding claims/ and references.bib (default: the repository's real corpus).
    """
    root = work / "serve"
    shutil.rmtree(root, ignore_errors=True)
    src = corpus or REPO
    shutil.copytree(src / "claims", root / "claims")
    shutil.copy2(src / "references.bib", root / "references.bib")
    site_skeleton(root, plugin="real")
    claim_file, compound = _first_claim_with_a_compound(root / "claims")
    page = f"compounds/{compound}.html"
    port = free_port()
    url = f"http://127.0.0.1:{port}/{page}"
    proc = subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"],
                            cwd=root, env=mkdocs_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        t0 = time.perf_counter()
        while fetch(url) is None:
            if proc.poll() is not None or time.perf_counter() - t0 > timeout:
                raise SystemExit("bench: mkdocs serve did not come up")
            time.sleep(0.1)
        startup = time.perf_counter() - t0
        time.sleep(1.0)  # let the watcher settle
        results: list[float] = []
        for k in range(3):
            token = f"Benchedit{k}x{int(time.time())}"
            text = claim_file.read_text(encoding="utf-8")
            claim_file.write_text(insert_token(text, token), encoding="utf-8")
            t0 = time.perf_counter()
            while token not in (fetch(url) or ""):
                if time.perf_counter() - t0 > timeout:
                    raise SystemExit("bench: the edit never showed under mkdocs serve")
                time.sleep(0.05)
            results.append(time.perf_counter() - t0)
            time.sleep(1.0)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    claims = sum(len((yaml.safe_load(p.read_text(encoding="utf-8")) or {}).get("claims") or [])
                 for p in (root / "claims").glob("*.yaml"))
    log(f"[serve] {claims} claims: first page after {startup:.1f}s; edit shown after "
        + ", ".join(f"{r:.2f}s" for r in results))
    return {"claims": claims, "startup_s": startup, "reload_s": results, "page": page}


def _first_claim_with_a_compound(claims: Path) -> tuple[Path, str]:
    """The first claim file whose first claim names a compound, and that compound: the edit
    goes into that claim's statement, and shows on the compound's page."""
    for path in sorted(claims.glob("*.yaml")):
        records = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("claims") or []
        if records and records[0].get("compounds"):
            return path, records[0]["compounds"][0]
    raise SystemExit("bench: no claim file whose first claim names a compound")
