"""Scale benchmark: synthetic knowledge bases of growing size, built with the real `kb` plugin.

    python -m bench                           # 1,000, 10,000 and 50,000 claims + serve + search
    python -m bench --claims 10000            # one size (repeat --claims for several)
    python -m bench --claims 200 --quick      # smoke test: one cold build, no warm rebuild

(with the virtual environment's python, where `pip install -e .` installed this package).

One module per job:

- corpus.py: a synthetic but valid corpus in the project's own formats (claims/*.yaml,
  claims/entities/*.yaml, references.bib) at a given size;
- build.py: `mkdocs build --strict` with the real plugin from a cold cache, its phases timed by
  timer_hook.py (a MkDocs hooks file used by the benchmark only), then a warm rebuild after one
  claim is edited, and the built site measured (pages, sizes, the search index);
- serve.py: seconds from saving an edited claim to the page showing it under `mkdocs serve`;
- search.py: Material's lunr index built and queried in node (search.js, with lunr pinned in
  package.json / package-lock.json and installed by `npm ci`, which scripts/test.sh runs), or, for
  a site whose index is in shards (kb.shards), their number and sizes;
- browser.py: in Chromium, the time from typing a query to its first result, and the bytes
  search fetched;
- report.py: the table, the targets, and the last line: the largest size's figures as key=value.
"""
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
