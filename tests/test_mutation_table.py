"""The mutation table (tests/mutations/run.py) stays in step with the code: a row whose text the
code no longer holds reports MISSING only when someone runs the table, so the rows' texts are
checked with every test run instead. A full run of the table (each row red) is not part of it."""
from __future__ import annotations

import importlib.util
import sys

from kbtest import REPO


def test_every_mutation_row_finds_its_text_exactly_once():
    spec = importlib.util.spec_from_file_location("mutation_table", REPO / "tests" / "mutations" / "run.py")
    assert spec is not None and spec.loader is not None
    table = importlib.util.module_from_spec(spec)
    sys.modules["mutation_table"] = table  # (its dataclasses look their module up)
    try:
        spec.loader.exec_module(table)
    finally:
        del sys.modules["mutation_table"]
    rows = [row for row in table.MUTATIONS if row.file]
    assert len(rows) > 150
    missing = [row.name for row in rows if (REPO / row.file).read_text(encoding="utf-8").count(row.old) != 1]
    assert missing == []
    assert len({row.name for row in table.MUTATIONS}) == len(table.MUTATIONS)  # each named once
