#!/usr/bin/env bash
# Set up (a virtual environment with the pinned dependencies) and serve the site on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
# -qq: only errors, so that the terminal shows the build summary, curators' warnings and the address
.venv/bin/pip install -qq --disable-pip-version-check -e .
export NO_MKDOCS_2_WARNING=1
exec .venv/bin/mkdocs serve --dev-addr "127.0.0.1:${PORT:-8000}"
