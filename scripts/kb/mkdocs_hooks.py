"""MkDocs hooks: run the knowledge-base generator inside `mkdocs build` and `mkdocs serve`.

- Before every build the claims and references.bib are validated and the pages generated; any
  curator error stops the build with `path:line:col: CODE message` lines and no traceback.
- `mkdocs build` writes the generated pages into docs/ (only those that changed) and builds into
  a staging folder that replaces site/ only when the build succeeded (strict warnings included),
  so a failed build leaves the last good site/ and docs/ as they were.
- `mkdocs serve` also watches claims/ and references.bib, and hands the generated pages to MkDocs
  in memory: docs/ is not touched, so an edit costs one rebuild, not a second one set off by
  rewritten pages.
- Every page gets a Content-Security-Policy allowing only the site's own origin; the theme's
  few inline scripts are allowed by their hashes, so no script from anywhere else can run.

This module keeps state between builds; MkDocs re-executes the hooks file
(scripts/mkdocs_hooks.py) on every rebuild under `serve`, so the file only re-exports these.
"""
from __future__ import annotations

import base64
import hashlib
import logging
import re
import shutil
from pathlib import Path

import jinja2
from mkdocs import utils
from mkdocs.exceptions import Abort
from mkdocs.structure.files import File

from . import build
from .problems import ValidationFailed
from .render import GENERATED_DIRS, GENERATED_FILES

__all__ = ["on_startup", "on_config", "on_pre_build", "on_files", "on_env", "on_serve", "on_post_build",
           "on_shutdown", "on_post_page", "on_post_template"]

log = logging.getLogger("mkdocs.hooks.kb")
_state: dict = {"command": None, "final": None, "pages": None}


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
        checked = build.check(_root(config))
        pages = build.render(checked)
    except ValidationFailed as failed:
        raise Abort(f"{failed}\nkb: {failed.error_count} error(s) in the knowledge base; "
                    "nothing was built") from None
    except OSError as exc:
        raise Abort(f"kb: cannot read {exc.filename or 'a file'}: {exc.strerror or exc}; nothing was built") from None
    for w in checked.warnings:
        log.info(w.format())
    if _state["command"] == "serve":
        _state["pages"] = pages
        log.info(f"kb: {len(checked.kb.claims)} claims valid; pages generated in memory")
    else:
        changed = build.write(_root(config) / build.DOCS_DIR, pages)
        log.info(f"kb: {len(checked.kb.claims)} claims valid; {changed} generated page(s) changed")


def _generated(src_uri: str) -> bool:
    return src_uri in GENERATED_FILES or src_uri.split("/", 1)[0] in GENERATED_DIRS


def on_files(files, config):
    """Under `serve`: the generated pages replace whatever an earlier build left in docs/."""
    pages = _state["pages"]
    if pages is None:
        return files
    for f in [f for f in files if _generated(f.src_uri)]:
        files.remove(f)
    for rel, text in sorted(pages.items()):
        files.append(File.generated(config, rel, content=text))
    return files


def on_env(env, config, files):
    """Keep the theme's compiled templates between rebuilds under `serve` (Jinja checks each
    template's source is unchanged): compiling them is a fifth of a small site's rebuild."""
    if _state["command"] == "serve":
        env.bytecode_cache = _state.setdefault("bytecode", _MemoryBytecodeCache())
    return env


class _MemoryBytecodeCache(jinja2.BytecodeCache):
    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket):
        self.code[bucket.key] = bucket.bytecode_to_string()


def on_serve(server, config, builder):
    root = _root(config)
    # MkDocs polls for changes every 0.5 s; the curators' files are few and small, so they are
    # polled every 0.1 s (watchdog reads the interval, kept in _timeout, when a path is watched).
    if hasattr(server.observer, "_timeout"):
        server.observer._timeout = 0.1
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
