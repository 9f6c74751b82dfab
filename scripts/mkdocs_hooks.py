"""The MkDocs hooks file named in mkdocs.yml; the hooks themselves live in kb.mkdocs_hooks.

MkDocs executes this file anew on every rebuild under `mkdocs serve`; kb.mkdocs_hooks is an
ordinary module, imported once, so it can keep state between builds.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kb.mkdocs_hooks import *  # noqa: E402,F401,F403
