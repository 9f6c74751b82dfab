"""The benchmark's report: the table, the targets, and the last line (the largest size's figures
as key=value pairs, for scripts)."""
from __future__ import annotations

from typing import Any

Row = dict[str, Any]

COLUMNS = [("claims", "claims", "{:,}"), ("validate s", "validate_s", "{:.2f}"),
           ("generate s", "generate_s", "{:.2f}"), ("MkDocs s", "mkdocs_s", "{:.1f}"),
           ("total s", "total_s", "{:.1f}"), ("warm s", "warm_s", "{:.1f}"),
           ("engine share", "engine_share", "{:.1%}"), ("peak MB", "peak_mb", "{:,.0f}"),
           ("pages", "pages", "{:,}"), ("site MB", "site_mb", "{:.1f}"),
           ("largest page KB", "largest_kb", "{:.1f}"), ("largest index KB", "largest_index_kb", "{:,.1f}"),
           ("median page KB", "median_page_kb", "{:.1f}"), ("search index MB", "search_mb", "{:.1f}")]


def table(rows: list[Row]) -> str:
    for r in rows:
        r["largest_kb"] = r["largest_page"][0] / 1e3
        r["largest_index_kb"] = r["largest_index_page"][0] / 1e3
    cells = [[fmt.format(r[key]) if key in r else "–" for _, key, fmt in COLUMNS] for r in rows]
    head = "| " + " | ".join(h for h, _, _ in COLUMNS) + " |"
    rule = "| " + " | ".join("---:" for _ in COLUMNS) + " |"
    return "\n".join([head, rule] + ["| " + " | ".join(c) + " |" for c in cells])


def details(rows: list[Row]) -> list[str]:
    return [f"{r['claims']:,} claims: {r['counts']}; largest page {r['largest_page'][1]} "
            f"({r['largest_kb']:.1f} KB), largest index page {r['largest_index_page'][1]} "
            f"({r['largest_index_kb']:,.1f} KB), {r['search_docs']:,} search entries" for r in rows]


def checks(rows: list[Row], serve: Row | None, search: Row | None, browser: Row | None = None) -> list[str]:
    """Each target of the README's performance section, and whether this run meets it."""
    by_n = {r["claims"]: r for r in rows}
    out = []
    for n, limit in ((10_000, 20), (50_000, 120)):
        if n in by_n:
            r = by_n[n]
            out.append(f"{n:,} claims, cold build in {r['total_s']:.1f}s (target < {limit}s): "
                       f"{'holds' if r['total_s'] < limit else 'MISSES'}")
    if 10_000 in by_n and "warm_s" in by_n[10_000]:
        r = by_n[10_000]
        out.append(f"10,000 claims, one claim edited, warm rebuild in {r['warm_s']:.1f}s (target < 3s): "
                   f"{'holds' if r['warm_s'] < 3 else 'MISSES'}")
    for r in rows:
        out.append(f"{r['claims']:,} claims: the engine (validation, pages, search entries) is "
                   f"{r['engine_share']:.1%} of the build (target < 15%): "
                   f"{'holds' if r['engine_share'] < 0.15 else 'MISSES'}")
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        growth = b["largest_kb"] / a["largest_kb"] - 1
        out.append(f"largest non-index page {a['largest_kb']:.1f} KB at {a['claims']:,} -> "
                   f"{b['largest_kb']:.1f} KB at {b['claims']:,} ({growth:+.1%}; target within 10%): "
                   f"{'holds' if abs(growth) <= 0.10 else 'MISSES'}")
    if 10_000 in by_n and 50_000 in by_n:
        g = by_n[50_000]["total_s"] / by_n[10_000]["total_s"]
        out.append(f"time 10,000 -> 50,000 claims grows {g:.2f}x (target <= 5.5x): {'holds' if g <= 5.5 else 'MISSES'}")
    if serve:
        worst = max(serve["reload_s"])
        out.append(f"mkdocs serve, real corpus ({serve['claims']} claims): edit shown after {worst:.2f}s at worst "
                   f"(target < 1s): {'holds' if worst < 1 else 'MISSES'}")
    if search and "shards" in search:
        out.append(f"search at {rows[-1]['claims']:,} claims: the index in {search['shards']:,} shards, "
                   f"{search['shards_mb']:.1f} MB in all, the largest {search['largest_shard_kb']:.1f} KB")
    elif search:
        out.append(f"search at {rows[-1]['claims']:,} claims: search_index.json {rows[-1]['search_mb']:.1f} MB, "
                   f"lunr index build {search['index_ms'] / 1000:.1f}s in node, slowest query "
                   f"{max(search['query_ms']):.0f} ms")
    if browser:
        out.append(f"search at {rows[-1]['claims']:,} claims in Chromium: first result "
                   f"{browser['first_result_ms']:.0f} ms after typing began (target < 1000 ms; "
                   f"{browser['from_click_ms']:.0f} ms after the click on the search box), "
                   f"{browser['transfer_mb']:.1f} MB fetched (target < 1 MB): "
                   f"{'holds' if browser['first_result_ms'] < 1000 and browser['transfer_mb'] < 1 else 'MISSES'}")
    return out


def last_line(rows: list[Row], serve: Row | None, search: Row | None, browser: Row | None = None) -> str:
    last = rows[-1]
    pairs = {"claims": last["claims"], "total_s": f"{last['total_s']:.2f}",
             "engine_share": f"{last['engine_share']:.4f}",
             "validate_s": f"{last['validate_s']:.2f}", "generate_s": f"{last['generate_s']:.2f}",
             "mkdocs_s": f"{last['mkdocs_s']:.2f}",
             "peak_mb": f"{last['peak_mb']:.0f}", "pages": last["pages"],
             "largest_page_kb": f"{last['largest_kb']:.1f}", "largest_index_kb": f"{last['largest_index_kb']:.1f}",
             "median_page_kb": f"{last['median_page_kb']:.1f}", "search_mb": f"{last['search_mb']:.2f}"}
    if "warm_s" in last:
        pairs["warm_s"] = f"{last['warm_s']:.2f}"
    if browser:
        pairs["search_first_result_ms"] = f"{browser['first_result_ms']:.0f}"
        pairs["search_from_click_ms"] = f"{browser['from_click_ms']:.0f}"
        pairs["search_transfer_mb"] = f"{browser['transfer_mb']:.2f}"
    if serve:
        pairs["serve_reload_s"] = f"{max(serve['reload_s']):.2f}"
    if search and "shards" in search:
        pairs["search_shards"] = search["shards"]
        pairs["search_largest_shard_kb"] = f"{search['largest_shard_kb']:.1f}"
    elif search:
        pairs["search_index_s"] = f"{search['index_ms'] / 1000:.2f}"
        pairs["search_query_ms"] = f"{max(search['query_ms']):.1f}"
    return " ".join(f"{k}={v}" for k, v in pairs.items())
