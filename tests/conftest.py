"""Shared fixtures: the session's one real `mkdocs build --strict` of the repository."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kbtest import copy_repo, mkdocs  # noqa: E402


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    root = copy_repo(tmp_path_factory.mktemp("repo"))
    run = mkdocs(root)
    assert run.returncode == 0, run.output
    return root / "site"
