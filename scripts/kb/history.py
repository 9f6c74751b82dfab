"""When each data file last changed: the date of the newest commit that touched it, from git.

Pages show it as "Data last changed". It comes from the commits only, never from the clock or a
file's modification time, so the same commits give byte-identical pages; an edit not yet committed
does not move the date. Outside a git working tree (an unpacked archive, a copy) there is no
history and no page shows a date.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

_DATE = "\x00"  # git prints it (%x00) before each commit's date; no path holds it


def last_changed(root: Path, paths: list[str]) -> dict[str, str]:
    """{path: 'YYYY-MM-DD'} for each of paths (relative to root) that git has a commit for.

    One `git log` over all the paths: each commit prints its committer date (as the committer
    recorded it, so no time zone of this machine enters) and the files it changed."""
    if not paths:
        return {}
    try:
        run = subprocess.run(
            ["git", "-C", str(root), "log", "--no-renames", "--relative", "--format=%x00%cs",
             "--name-only", "--", *paths],
            capture_output=True, text=True, encoding="utf-8", timeout=120, check=False)
    except (OSError, subprocess.SubprocessError):  # no git here: no dates
        return {}
    if run.returncode != 0:  # not a repository (or git refuses it): no dates
        return {}
    wanted = set(paths)
    dates: dict[str, str] = {}
    date = ""
    for line in run.stdout.splitlines():
        if line.startswith(_DATE):
            date = line[1:].strip()
        elif line in wanted and date > dates.get(line, ""):
            dates[line] = date
    return dates
