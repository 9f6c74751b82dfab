"""MkDocs hooks: run the knowledge-base generator inside `mkdocs build` and `mkdocs serve`.

- Before every build the claims and references.bib are validated and docs/ regenerated; any
  curator error stops the build with `path:line:col: CODE message` lines and no traceback.
- `mkdocs serve` also watches claims/ and references.bib, so an edit shows on the next reload.
- `mkdocs build` writes into a staging folder and replaces site/ only when the build succeeded
  (strict warnings included), so a failed build leaves the last good site/ as it was.
- Every page gets a Content-Security-Policy allowing only the site's own origin; the theme's
  few inline scripts are allowed by their hashes, so no script from anywhere else can run.
"""
from __future__ import annotations

import base64
import hashlib
import logging
import re
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mkdocs import utils  # noqa: E402
from mkdocs.exceptions import Abort  # noqa: E402

from kb import build  # noqa: E402
from kb.problems import ValidationFailed  # noqa: E402

log = logging.getLogger("mkdocs.hooks.kb")
_state: dict = {"command": None, "final": None}


def _root(config) -> Path:
    return Path(config.config_file_path).resolve().parent


def on_startup(command: str, dirty: bool) -> None:
    _state["command"] = command


def on_config(config):
    if _state["command"] == "build":
        final = Path(config.site_dir)
        _state["final"] = final
        config.site_dir = str(final.with_name(final.name + ".kb-staging"))
    return config


def on_pre_build(config) -> None:
    try:
        checked, changed = build.generate(_root(config))
    except ValidationFailed as failed:
        n = sum(1 for p in failed.problems if p.severity == "error")
        lines = "\n".join(p.format() for p in failed.problems)
        raise Abort(f"{lines}\nkb: {n} error(s) in the knowledge base; nothing was built") from None
    for w in checked.warnings:
        log.info(w.format())
    log.info(f"kb: {len(checked.kb.claims)} claims valid; {changed} generated page(s) changed")


def on_serve(server, config, builder):
    root = _root(config)
    server.watch(str(root / build.CLAIMS_DIR))
    server.watch(str(root / build.BIB_FILE))
    return server


def on_post_build(config) -> None:
    final = _state["final"]
    if final is None:
        return
    counter = next((h for h in logging.getLogger("mkdocs").handlers
                    if isinstance(h, utils.CountHandler)), None)
    if config.strict and counter is not None and counter.get_counts():
        return  # MkDocs aborts next; the staging folder is dropped in on_shutdown
    staging = Path(config.site_dir)
    old = final.with_name(final.name + ".kb-old")
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    staging.rename(final)
    shutil.rmtree(old, ignore_errors=True)
    config.site_dir = str(final)


def on_shutdown() -> None:
    final = _state["final"]
    if final is not None:
        shutil.rmtree(final.with_name(final.name + ".kb-staging"), ignore_errors=True)


_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>(.*?)</script>", re.S)
CSP = ("default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src 'self'; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-src 'none'")


def with_csp(html: str) -> str:
    """Insert a CSP meta element first in <head>, naming the hash of each inline script."""
    hashes = sorted({"'sha256-" + base64.b64encode(hashlib.sha256(m.encode()).digest()).decode() + "'"
                     for m in _INLINE_SCRIPT.findall(html)})
    meta = f'<meta http-equiv="Content-Security-Policy" content="{CSP.format(hashes=" ".join(hashes))}">'
    return html.replace("<head>", "<head>\n    " + meta, 1)


def on_post_page(output: str, page, config) -> str:
    return with_csp(output)


def on_post_template(output_content: str, template_name: str, config) -> str:
    return with_csp(output_content) if template_name.endswith(".html") else output_content
