"""Shared fixtures: the session's real `mkdocs build --strict` of the repository (and of the
hostile fixture knowledge base)."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kbtest import FIXTURES, copy_repo, in_shards, mkdocs, site_project  # noqa: E402


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    root = copy_repo(tmp_path_factory.mktemp("repo"))
    run = mkdocs(root)
    assert run.returncode == 0, run.output
    return root / "site"


@pytest.fixture(scope="session")
def sharded_site(tmp_path_factory) -> Path:
    """The repository's site with its search index in shards."""
    root = in_shards(copy_repo(tmp_path_factory.mktemp("sharded")))
    run = mkdocs(root)
    assert run.returncode == 0, run.output
    return root / "site"


@pytest.fixture(scope="session")
def sharded_hostile_site(tmp_path_factory) -> Path:
    """The hostile fixture's site with its search index in shards."""
    root = in_shards(site_project(tmp_path_factory.mktemp("hostile-sharded"), FIXTURES / "hostile"))
    run = mkdocs(root)
    assert run.returncode == 0, run.output
    return root / "site"


@pytest.fixture(scope="session")
def hostile_site(tmp_path_factory) -> Path:
    """The site built from tests/fixtures/hostile: markup, scripts and links in every text field."""
    root = site_project(tmp_path_factory.mktemp("hostile"), FIXTURES / "hostile")
    run = mkdocs(root)
    assert run.returncode == 0, run.output
    return root / "site"
