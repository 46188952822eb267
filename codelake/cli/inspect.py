"""`codelake why` and `codelake stats`: a file's path through the stages, and drop counts per reason."""

from __future__ import annotations

import json
import re

from rich.console import Console
from rich.table import Table

from codelake.lake import Lake
from codelake.lake.lineage import LINEAGE_TABLE
from codelake.lake.sql import connect
from codelake.stages import BRANCHES, CODE_STAGES, SHARD_STAGES

_DOC_ID = re.compile(r"^[0-9a-f]{32}$")


def find_doc_ids(lake: Lake, query: str) -> list[str]:
    """doc ids matching a doc id, `repo/path` (e.g. `python/cpython-3.12/Lib/os.py`), `repo_dir/path`, or a
    page's URL (every fetch of it, kept or dropped)."""
    if _DOC_ID.match(query):
        return [query]
    if "://" in query:
        return _url_doc_ids(lake, query)
    con = connect(lake)
    try:
        sources = []
        if lake.exists("raw_files"):
            sources.append("SELECT doc_id, repo, repo_dir, path FROM raw_files")
        if lake.exists(LINEAGE_TABLE):
            sources.append("SELECT doc_id, repo, repo AS repo_dir, path FROM lineage WHERE stage = 'raw_files'")
        if not sources:
            return []
        rows = con.execute(
            f"SELECT DISTINCT doc_id FROM ({' UNION ALL '.join(sources)})"
            " WHERE repo || '/' || path = $q OR repo_dir || '/' || path = $q ORDER BY doc_id",
            {"q": query.strip("/")},
        ).fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]


def _url_doc_ids(lake: Lake, url: str) -> list[str]:
    con = connect(lake)
    try:
        sources = []
        if lake.exists("web_pages"):
            sources.append("SELECT doc_id, url FROM web_pages")
        if lake.exists(LINEAGE_TABLE):
            sources.append("SELECT doc_id, path AS url FROM lineage WHERE stage = 'web_pages'")
        if not sources:
            return []
        rows = con.execute(f"SELECT DISTINCT doc_id FROM ({' UNION ALL '.join(sources)}) WHERE url = $q ORDER BY doc_id", {"q": url}).fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]


def _branch_of(con, lake: Lake, doc: str) -> str:
    """The branch whose first stage saw the document (kept or dropped there)."""
    for branch, (stages, _) in BRANCHES.items():
        first = stages[0]
        if lake.exists(first) and con.execute(f'SELECT 1 FROM "{first}" WHERE doc_id = $d LIMIT 1', {"d": doc}).fetchone():
            return branch
        if lake.exists(LINEAGE_TABLE) and con.execute("SELECT 1 FROM lineage WHERE stage = $s AND doc_id = $d LIMIT 1", {"s": first, "d": doc}).fetchone():
            return branch
    return "code"


def trace(lake: Lake, doc: str) -> list[dict]:
    """One entry per stage of the document's branch (code or web): kept, dropped/changed (with reason and
    detail), or not reached; then where its tokens went in the training shards."""
    con = connect(lake)
    steps: list[dict] = []
    try:
        stages, identity = BRANCHES[_branch_of(con, lake, doc)]
        columns = ", ".join(f'"{c}"' for c in identity)  # (repo, path, dump) or (domain, url, dump)
        for stage in stages:
            if not lake.exists(stage):
                break
            kept = con.execute(f'SELECT {columns} FROM "{stage}" WHERE doc_id = $d LIMIT 1', {"d": doc}).fetchone()
            decisions = []
            if lake.exists(LINEAGE_TABLE):
                decisions = con.execute(
                    "SELECT action, reason, detail, version, repo, path, dump FROM lineage WHERE stage = $s AND doc_id = $d",
                    {"s": stage, "d": doc},
                ).fetchall()
            for action, reason, detail, version, repo, path, dump in decisions:
                steps.append({"stage": stage, "status": action, "reason": reason, "detail": detail, "version": version, "repo": repo, "path": path, "dump": dump})
            if kept:
                steps.append({"stage": stage, "status": "kept", "repo": kept[0], "path": kept[1], "dump": kept[2], "version": lake.version(stage)})
            elif not decisions:
                steps.append({"stage": stage, "status": "not reached"})
            if not kept:
                break
        steps += _shard_steps(con, lake, doc)
    finally:
        con.close()
    return steps


def _shard_steps(con, lake: Lake, doc: str) -> list[dict]:
    """Where a document's tokens went in each shard stage: every copy's .ds file, document and token span."""
    steps = []
    for stage in SHARD_STAGES:
        if not lake.exists(stage):
            continue
        row = con.execute(f'SELECT shard_folder, placements FROM "{stage}" WHERE doc_id = $d', {"d": doc}).fetchone()
        if row:
            places = "; ".join(
                f"{p['shard']} document {p['document']}, tokens {p['token_offset']}–{p['token_offset'] + p['tokens']}"
                + (f", FIM {p['fim']}" if p["fim"] != "none" else "") + (", repository sample" if p["repo_level"] else "")
                for p in row[1]
            )
            steps.append({"stage": stage, "status": "kept", "version": lake.version(stage), "detail": f"{row[0]}: {places}"})
        if lake.exists(LINEAGE_TABLE):
            for action, reason, detail, version in con.execute(
                "SELECT action, reason, detail, version FROM lineage WHERE stage = $s AND doc_id = $d", {"s": stage, "d": doc}
            ).fetchall():
                steps.append({"stage": stage, "status": action, "reason": reason, "detail": detail, "version": version})
    return steps


def _describe(step: dict) -> str:
    if step["status"] == "kept":
        return f"kept (table version {step['version']})" + (f" — {step['detail']}" if step.get("detail") else "")
    if step["status"] == "not reached":
        return "not in this stage (dropped earlier or not yet run)"
    detail = step.get("detail") or ""
    if detail.startswith("{"):
        parsed = json.loads(detail)
        if "survivor" in parsed:
            detail = f"survivor {parsed['survivor']} = {parsed.get('survivor_repo')}/{parsed.get('survivor_path')} (dump {parsed.get('survivor_dump')})"
            if "jaccard" in parsed:
                detail += f", estimated Jaccard {parsed['jaccard']:.3f}, cluster of {parsed.get('cluster_size')}"
    return f"{step['status']}: {step['reason']}" + (f" — {detail}" if detail else "") + f" (version {step['version']})"


def print_why(lake: Lake, query: str, console: Console) -> int:
    docs = find_doc_ids(lake, query)
    if not docs:
        console.print(f"[red]no file matches {query!r} in {lake.root}[/red] (give a doc_id or repo/path)")
        return 1
    for doc in docs:
        steps = trace(lake, doc)
        head = next((s for s in steps if s.get("repo")), {})
        console.print(f"[bold]{doc}[/bold]  {head.get('repo', '?')}/{head.get('path', '?')}  dump={head.get('dump', '?')}")
        for step in steps:
            console.print(f"  {step['stage']:<16} {_describe(step)}")
    return 0


def stage_stats(lake: Lake) -> list[tuple[str, str, int, int]]:
    """(stage, kept | drop reason | "changed: reason", files, bytes) for every stage, in pipeline order."""
    con = connect(lake)
    rows: list[tuple[str, str, int, int]] = []
    try:
        for stage in CODE_STAGES + SHARD_STAGES:
            if not lake.exists(stage):
                continue
            n, b = con.execute(f'SELECT count(*), coalesce(sum(size), 0) FROM "{stage}"').fetchone()
            rows.append((stage, "kept", n, b))
            if lake.exists(LINEAGE_TABLE):
                for action, reason, count in con.execute(
                    "SELECT action, reason, count(*) FROM lineage WHERE stage = $s GROUP BY ALL ORDER BY 3 DESC, 2", {"s": stage}
                ).fetchall():
                    rows.append((stage, reason if action == "drop" else f"{action}d: {reason}", count, 0))
    finally:
        con.close()
    return rows


def print_stats(lake: Lake, console: Console) -> int:
    rows = stage_stats(lake)
    if not rows:
        console.print(f"[yellow]the lake at {lake.root} has no stage tables yet[/yellow]")
        return 1
    table = Table(title=f"codelake stats — {lake.root}")
    for column in ("stage", "kept / dropped: reason / changed", "files", "MB kept"):
        table.add_column(column, justify="right" if column in ("files", "MB kept") else "left")
    for stage, what, n, b in rows:
        table.add_row(stage, what, f"{n:,}", f"{b / 1e6:,.1f}" if what == "kept" else "")
    console.print(table)
    return 0


def rule_stats(lake: Lake) -> list[dict]:
    """Per filter rule: files and bytes it dropped (as first firing rule), per language, a sample —
    and every rule of rules/filters/ that dropped nothing, with 0."""
    from codelake.filtered import load_rules

    dropped: dict[str, dict] = {}
    if lake.exists(LINEAGE_TABLE) and lake.exists("filter_signals"):
        con = connect(lake)
        try:
            rows = con.execute(
                """SELECT l.reason, s.language, count(*), sum(s.size), min(l.repo || '/' || l.path)
                   FROM lineage l JOIN filter_signals s USING (doc_id)
                   WHERE l.stage = 'filtered' AND l.action = 'drop' GROUP BY ALL"""
            ).fetchall()
        finally:
            con.close()
        for rule, language, files, size, sample in rows:
            entry = dropped.setdefault(rule, {"files": 0, "bytes": 0, "languages": {}, "sample": sample})
            entry["files"] += files
            entry["bytes"] += int(size or 0)
            entry["languages"][language] = files
    out = []
    for rule in load_rules().rules:
        entry = dropped.get(rule.name, {"files": 0, "bytes": 0, "languages": {}, "sample": ""})
        out.append({"rule": rule.name, "enabled": rule.enabled, "signal": rule.signal, **entry})
    return sorted(out, key=lambda r: (-r["files"], r["rule"]))


def print_rules(lake: Lake, console: Console) -> int:
    rows = rule_stats(lake)
    table = Table(title=f"filter rules — files dropped (first firing rule) — {lake.root}")
    for column in ("rule", "files", "MB", "languages", "sample"):
        table.add_column(column, justify="right" if column in ("files", "MB") else "left")
    for row in rows:
        languages = ", ".join(f"{k} {v}" for k, v in sorted(row["languages"].items(), key=lambda kv: -kv[1])[:3])
        name = row["rule"] + ("" if row["enabled"] else " (disabled)")
        table.add_row(name, f"{row['files']:,}", f"{row['bytes'] / 1e6:,.2f}", languages, row["sample"])
    console.print(table)
    idle = [r["rule"] for r in rows if r["files"] == 0]
    console.print(f"{len(idle)} of {len(rows)} rules dropped nothing here: {', '.join(idle)}")
    return 0
