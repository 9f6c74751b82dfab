#!/usr/bin/env bash
# Set up what the tests need (virtual environment, test dependencies, Debian's Chromium for the
# browser tests when running as root, the node packages pinned in package-lock.json), check the
# code with ruff, and run the whole test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${CI:-}" ] && [ -n "${KB_UPDATE_GOLDEN:-}" ]; then
  echo "KB_UPDATE_GOLDEN=1 rewrites the golden files and the curators' guide: refused under CI" >&2
  exit 2
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -e ".[test]"
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
# axe-core for the accessibility tests and lunr for the benchmark, pinned in package.json /
# package-lock.json and installed here, never at run time
if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
fi
if command -v npm >/dev/null 2>&1; then
  npm ci --no-audit --no-fund --loglevel=error
fi
.venv/bin/ruff check --quiet scripts tests
.venv/bin/mypy
export NO_MKDOCS_2_WARNING=1
exec .venv/bin/python -m pytest "$@"
