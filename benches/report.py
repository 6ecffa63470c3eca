#!/usr/bin/env python3
"""Targets, the results table and BENCHMARKS.md, from target/bench/results.json.

benches/run.py calls this at the end of `make bench`; run it alone to regenerate the
report from the last results without measuring again:

    python3 benches/report.py [target/bench/results.json]

BENCHMARKS.md is generated: edit this file, or benches/FINDINGS.md (the profiles and
explanations, included verbatim), not the output.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from statistics import median
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SERVERS = (("rust", "Rust (axum)"), ("fastapi", "FastAPI"), ("express", "Express"))
# The tenant-count sections, with what their target names say of their layout.
SCALES = (("scale", ""), ("scale_shared", ", shared layout"))


def get(d: Any, *path: str | int | None) -> Any:
    for p in path:
        if isinstance(d, dict) and p in d:
            d = d[p]
        elif isinstance(d, list) and isinstance(p, int) and -len(d) <= p < len(d):
            d = d[p]
        else:
            return None
    return d


def num(x: Any, digits: int = 0, unit: str = "") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if digits == 0:
        s = f"{x:,.0f}"
    else:
        s = f"{x:,.{digits}f}"
    return f"{s}{unit}"


def ratio(a: Any, b: Any) -> float | None:
    if a is None or b is None or not b:
        return None
    return float(a) / float(b)


def evaluate(r: dict[str, Any]) -> None:
    """Add r["targets"]: every target with its measured value and whether it is met."""
    targets: list[dict[str, Any]] = []

    def target(name: str, value: float | None, op: str, limit: float, detail: str, why_none: str = "") -> None:
        if value is None:
            met = None
        else:
            met = value <= limit if op == "<=" else value >= limit
        targets.append(
            {"name": name, "value": value, "op": op, "limit": limit, "met": met, "detail": detail, "why_none": why_none}
        )

    sizes = {s["documents"]: s for s in get(r, "rename", "sizes") or []}
    t1k, t100k = get(sizes, 1000, "rename_ms"), get(sizes, 100000, "rename_ms")
    target("Rename scaling: time(100k docs) / time(1k docs)", ratio(t100k, t1k), "<=", 2.0,
           f"{num(t100k, 1)} ms / {num(t1k, 1)} ms")

    cores = get(r, "layout", "server_cores")
    verify_ms = get(r, "bcrypt", "cost10", "verify_ms")
    limit = cores / (verify_ms / 1000) if cores and verify_ms else None
    r.setdefault("derived", {})["login_limit_per_second"] = limit
    logins = get(r, "servers", "rust", "login", "per_second")
    target("Login throughput (Rust) / bcrypt limit", ratio(logins, limit), ">=", 0.85,
           f"{num(logins, 1)} logins/s vs {cores} core(s) / {num(verify_ms, 1)} ms = {num(limit, 1)}/s")

    for kind, label in SERVERS:
        srv = get(r, "servers", kind) or {}
        value = get(srv, "storm", "p99_ratio")
        target(f"No blocking during hashing ({label}): GET p99 storm / rest", value, "<=", 2.0,
               f"{num(get(srv, 'storm', 'storm_p99_us'), 0)} µs / {num(get(srv, 'storm', 'rest_p99_us'), 0)} µs",
               srv.get("status", "not run") if value is None else "")

    for kind, label in SERVERS:
        srv = get(r, "servers", kind) or {}
        storm, alone = get(srv, "storm", "storm_logins_per_second"), get(srv, "login", "per_second")
        target(f"Logins during the storm / alone ({label}, own generator)", ratio(storm, alone), ">=", 0.4,
               f"{num(storm, 1)} / {num(alone, 1)} logins/s", srv.get("status", "not run") if storm is None else "")

    hot = get(r, "hotpath", "servers") or {}
    for kind, label in SERVERS:
        h = hot.get(kind) or {}
        why = "" if h else "not run"
        target(f"Login storm under wrk ({label}): GET p99 storm / rest", h.get("p99_ratio"), "<=", 2.0,
               f"{num(h.get('storm_p99_us'))} µs / {num(h.get('rest_p99_us'))} µs", why)
        target(f"Login storm under wrk ({label}): logins during the storm / alone", h.get("logins_ratio"), ">=", 0.4,
               f"{num(h.get('storm_logins_per_second'), 1)} / {num(h.get('logins_alone_per_second'), 1)} logins/s", why)
    for kind, label, before, goal in (("fastapi", "FastAPI", 1216, 2.0), ("express", "Express", 2390, 3.0)):
        rps = get(hot, kind, "get32_per_second")
        target(f"{label} GET /org/get under wrk (32 connections) / {before:,} req/s before this work (issue 13's run)",
               ratio(rps, before), ">=", goal, f"{num(rps)} req/s; side by side with the old build: FINDINGS below",
               "" if rps else "not run")

    rust_rps, raw_rps = get(r, "servers", "rust", "lookup", "per_second"), get(r, "raw_find", "per_second")
    target("Lookup: Rust server GET /org/get per s / raw driver find_one per s", ratio(rust_rps, raw_rps), ">=", 1.5,
           f"{num(rust_rps)} / {num(raw_rps)}")

    dec, ver = get(r, "criterion", "token/decode_token", "median_ns"), get(r, "criterion", "token/verify_token", "median_ns")
    target("verify_token with the revocation check (cached) / decode_token", ratio(ver, dec), "<=", 3.0,
           f"{num((ver or 0) / 1000, 2)} µs / {num((dec or 0) / 1000, 2)} µs")

    rev = get(r, "revocation") or {}
    target("Revocation seen by another process: p99 (ms)", rev.get("p99_ms"), "<=", 1000.0,
           f"{rev.get('trials', '?')} trials, p50 {num(rev.get('p50_ms'), 1)} ms, max {num(rev.get('max_ms'), 1)} ms",
           "" if rev else "not run")

    mem = get(r, "cache_memory") or {}
    small = mem.get("10000") or {}
    target("Cache bounded: entries held / capacity, 100,000 tenants read at capacity 10,000",
           ratio(small.get("entries"), small.get("capacity")), "<=", 1.0,
           f"{num(small.get('entries'))} entries; RSS +{num((small.get('rss_after_kib', 0) - small.get('rss_before_kib', 0)) / 1024, 1)} MB",
           "" if small else "not run")

    py = get(r, "binding_python") or {}
    target("Binding overhead (Python): get_tenant / pymongo find_one (async client)", py.get("ratio_vs_async"), "<=", 1.3,
           f"{num(py.get('binding_us'), 1)} µs / {num(py.get('pymongo_async_us'), 1)} µs "
           f"(sync MongoClient {num(py.get('pymongo_sync_us'), 1)} µs: {num(py.get('ratio_vs_sync'), 2)}×)",
           py.get("status", "not run") if py.get("ratio_vs_async") is None else "")
    node = get(r, "binding_node") or {}
    target("Binding overhead (Node): getTenant / mongodb findOne", node.get("ratio"), "<=", 1.3,
           f"{num(node.get('binding_us'))} µs / {num(node.get('driver_us'))} µs",
           node.get("status", "not run") if node.get("ratio") is None else "")

    for section, label in SCALES:
        levels = {lv["tenants"]: lv for lv in get(r, section, "levels") or []}
        low = min(levels) if levels else None
        high = max(levels) if levels else None
        why = "" if levels else "not run"
        for op in ("get", "create"):
            a, b = get(levels, high, op, "p50_us"), get(levels, low, op, "p50_us")
            target(f"Tenant-count scaling{label}: {op}_tenant median at {num(high)} / at {num(low)} tenants", ratio(a, b),
                   "<=", 1.5, f"{num(a)} µs / {num(b)} µs", why)
        if section == "scale_shared":
            a, b = get(levels, high, "master_collections"), get(levels, low, "master_collections")
            target(f"Shared layout: collections in the master database at {num(high)} / at {num(low)} tenants (constant)",
                   ratio(a, b), "<=", 1.0, f"{num(a)} / {num(b)}", why)

    sizes = {s["documents"]: s for s in get(r, "rename_stable", "sizes") or []}
    t1k, t100k = get(sizes, 1000, "rename_ms"), get(sizes, 100000, "rename_ms")
    target("Rename scaling with stable names: time(100k docs) / time(1k docs)", ratio(t100k, t1k), "<=", 2.0,
           f"{num(t100k, 1)} ms / {num(t1k, 1)} ms; a bare update_one {num(get(sizes, 100000, 'bare_update_ms'), 2)} ms"
           f" / {num(get(sizes, 1000, 'bare_update_ms'), 2)} ms", "" if sizes else "not run")

    moves = get(r, "move", "sizes") or []
    for m in moves:
        target(f"Move throughput at {num(m['documents'])} docs: move_tenant / bare copy (documents per second)", m["ratio"],
               ">=", 0.7, f"{num(m['move_docs_per_second'])} / {num(m['bare_docs_per_second'])} docs/s")
    if not moves:
        target("Move throughput: move_tenant / bare copy (documents per second)", None, ">=", 0.7, "", "not run")

    mig = get(r, "migrate") or {}
    target(f"Migration throughput over {num(mig.get('tenants', 10000))} tenants: migrate / bare driver loop (tenants per second)",
           mig.get("ratio"), ">=", 0.8,
           f"{num(mig.get('core_tenants_per_second'))} / {num(mig.get('bare_tenants_per_second'))} tenants/s,"
           f" parallelism {mig.get('parallelism', '?')}", "" if mig else "not run")

    rest = get(r, "servers", "rust", "memory_at_rest_kib", "VmRSS")
    target("Memory: Rust server RSS at rest (MB)", rest / 1024 if rest else None, "<=", 30.0,
           f"after the load runs {num((get(r, 'servers', 'rust', 'memory_after_load_kib', 'VmRSS') or 0) / 1024, 1)} MB, "
           f"peak {num((get(r, 'servers', 'rust', 'memory_after_load_kib', 'VmHWM') or 0) / 1024, 1)} MB")
    r["targets"] = targets


def commands(r: dict[str, Any]) -> list[str]:
    """What the layout sections ran, for "How it runs"."""
    described = {
        "rename": "Rename, slug names (the collection renamed)",
        "rename_stable": "Rename, stable names (`org_<id>`: records only); each rename is followed by a bare `update_one` of"
                         " one document in a scratch collection of the same database",
        "scale": "Tenant count, collection layout",
        "scale_shared": "Tenant count, shared layout (`shared_data`: creating a tenant creates no collection)",
        "export": "Export: a tenant in the collection layout filled, then exported to a sink (`tokio::io::sink`) through"
                  " `export_tenant`, each export beside a bare scan of the same documents (one cursor in _id order,"
                  " 256 KiB writes to a sink)",
        "migrate": "Migrations: tenants in the collection layout with two documents each; per run, a bare driver loop"
                   " (the tenants' collections read from their records, then per tenant in order: createIndex and three"
                   " update_many: a default, a rename, an update) beside `migrate` of the same four migrations on fresh"
                   " fields, both at the same parallelism; the core's schema keeps every earlier run's migrations, so its"
                   " ledger grows as a real one does",
        "move": "Move: a tenant created in the collection layout and filled, then moved through the layouts in turn"
                " (copy in batches of 1,000 + change-stream catch-up + fence + verification by count and checksum +"
                " switch + source emptied); before each move, a bare copy of the same documents from where the move"
                " reads them (one `find` cursor, 1,000 per batch, `insert_many` into a scratch collection, raw BSON as the move copies)",
    }
    out = []
    for section, text in described.items():
        opts = get(r, section, "options")
        if not opts:
            continue
        args = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in opts.items() if k not in ("command", "db"))
        out.append(f"{text}: `tenantry-loadgen {opts['command']} {args}` (on the run's server, a database of its own).")
    return out


def cpus(ids: list[int]) -> str:
    return ",".join(map(str, ids))


def verdict(t: dict[str, Any]) -> str:
    if t["met"] is None:
        return "not measured"
    return "met" if t["met"] else "MISSED"


def rows(r: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(benchmark, measurement, value) rows of the results table."""
    out: list[tuple[str, str, str]] = []

    def add(benchmark: str, measurement: str, value: str) -> None:
        out.append((benchmark, measurement, value))

    for section, label in (("rename", "Rename"), ("rename_stable", "Rename, stable names")):
        runs = get(r, section, "runs")
        for s in get(r, section, "sizes") or []:
            kept = "" if s.get("collection_renamed", True) else ", the collection kept"
            add(label, f"{s['documents']:,} docs × {s['doc_bson_bytes']} B: rename_tenant{kept} (median of {runs})",
                f"{num(s['rename_ms'], 1)} ms")
            if s.get("raw_rename_ms") is not None:
                add(label, f"{s['documents']:,} docs: bare renameCollection, same server", f"{num(s['raw_rename_ms'], 1)} ms")
            if s.get("bare_update_ms") is not None:
                add(label, f"{s['documents']:,} docs: bare update_one of one document, same database (median of {runs})",
                    f"{num(s['bare_update_ms'], 2)} ms (rename ×{num(s['rename_per_bare_update'], 1)})")

    b10, b4 = get(r, "bcrypt", "cost10"), get(r, "bcrypt", "cost4")
    if b10:
        wall = f" ({num(b10['verify_wall_ms'], 1)} ms wall)" if b10.get("verify_wall_ms") else ""
        add("bcrypt", f"one verification at cost {b10['cost']}, {b10.get('clock', 'wall time')} (median of {len(b10['verify_samples_ms'])})",
            f"{num(b10['verify_ms'], 1)} ms{wall}")
        add("bcrypt", f"login limit = {get(r, 'layout', 'server_cores')} server core(s) / verification",
            f"{num(get(r, 'derived', 'login_limit_per_second'), 1)} /s")
    if b4:
        add("bcrypt", "one hash at cost 4 (tenant-count runs)", f"{num(b4['hash_ms'], 2)} ms")

    for kind, label in SERVERS:
        srv = get(r, "servers", kind) or {}
        if "lookup" not in srv:
            add(label, "status", srv.get("status", "not run"))
            continue
        lk, st = srv["lookup"], srv["storm"]
        add(label, f"GET /org/get, {lk['runs'][0]['conc']} connections", f"{num(lk['per_second'])} req/s (p50 {num(lk['p50_us'])} µs, p99 {num(lk['p99_us'])} µs)")
        add(label, f"POST /admin/login, {srv['login']['runs'][0]['conc']} connections, cost {get(r, 'meta', 'login_bcrypt_cost')}",
            f"{num(srv['login']['per_second'], 1)} logins/s")
        add(label, "GET p99, paced probe at rest → during login storm",
            f"{num(st['rest_p99_us'])} µs → {num(st['storm_p99_us'])} µs (×{num(st['p99_ratio'], 2)})")
        mem_rest, mem_after = srv.get("memory_at_rest_kib", {}), srv.get("memory_after_load_kib", {})
        add(label, "RSS at rest → after the load runs (peak)",
            f"{num(mem_rest.get('VmRSS', 0) / 1024, 1)} → {num(mem_after.get('VmRSS', 0) / 1024, 1)} MB ({num(mem_after.get('VmHWM', 0) / 1024, 1)} MB)")
        if srv.get("status") != "ok":
            add(label, "status", srv["status"])

    raw = get(r, "raw_find")
    if raw:
        add("Raw driver", f"find_one by name_key, {raw['runs'][0]['conc']} in flight (Rust driver)", f"{num(raw['per_second'])} /s (p50 {num(raw['p50_us'])} µs)")

    py = get(r, "binding_python") or {}
    if py.get("status") == "ok":
        add("Python binding", "get_tenant, sequential (median)", f"{num(py['binding_us'], 1)} µs")
        add("Python binding", "pymongo AsyncMongoClient / MongoClient find_one", f"{num(py['pymongo_async_us'], 1)} / {num(py['pymongo_sync_us'], 1)} µs")
    else:
        add("Python binding", "status", py.get("status", "not run"))
    node = get(r, "binding_node") or {}
    if node.get("status") == "ok":
        add("Node binding", "getTenant / driver findOne, sequential (median)", f"{num(node['binding_us'])} / {num(node['driver_us'])} µs")
    else:
        add("Node binding", "status", node.get("status", "not run"))

    for key, label in (("token/decode_token", "decode_token (no revocation check)"),
                       ("token/verify_token", "verify_token (revocation check, from the cache)"),
                       ("token/verify_token_uncached", "verify_token (revocation check, cache off: 2 reads)"),
                       ("naming/name_key_ascii", "name_key, ASCII name"), ("naming/name_key_unicode", "name_key, Unicode name")):
        c = get(r, "criterion", key)
        if c:
            add("Criterion", label, f"{num(c['median_ns'] / 1000, 2)} µs = {num(c['per_second_per_core'])} /s per core")

    hot = get(r, "hotpath") or {}
    for kind, label in SERVERS:
        h = get(hot, "servers", kind)
        if not h:
            continue
        add(label + ", wrk", "GET /org/get, 32 connections", f"{num(h['get32_per_second'])} req/s (p99 {num(h['get32_p99_us'])} µs)")
        add(label + ", wrk", "GET p99 at 4 connections: rest → beside 8 login connections",
            f"{num(h['rest_p99_us'])} µs → {num(h['storm_p99_us'])} µs (×{num(h['p99_ratio'], 2)})")
        add(label + ", wrk", "logins/s at 8 connections (default cost 12): alone → in the storm",
            f"{num(h['logins_alone_per_second'], 1)} → {num(h['storm_logins_per_second'], 1)} (×{num(h['logins_ratio'], 2)})")
    rev = get(r, "revocation")
    if rev:
        add("Coherence", f"revocation seen by another process, {rev['trials']} trials: p50 / p99 / max",
            f"{num(rev['p50_ms'], 1)} / {num(rev['p99_ms'], 1)} / {num(rev['max_ms'], 1)} ms")
        add("Coherence", f"{rev['changes']} renames and a delete seen by another manager ({num(rev['racing_reads'])} racing reads)",
            f"within {num(rev['changes_seen_within_ms'], 1)} ms")
    for cap, m in (get(r, "cache_memory") or {}).items():
        grown = (m["rss_after_kib"] - m["rss_before_kib"]) / 1024
        add("Cache memory", f"{num(m['tenants'])} tenants read, capacity {num(m['capacity'])}: entries, RSS growth",
            f"{num(m['entries'])} entries, +{num(grown, 1)} MB ({num(m['bytes_per_entry'])} B per entry)")

    for section, label in SCALES:
        levels = get(r, section, "levels") or []
        for lv in levels:
            first = levels[0]
            collections = f" ({num(lv['master_collections'])} collections in the master database)" if "master_collections" in lv else ""
            scaled = "" if lv is first else (
                f"; ×{num(ratio(lv['get']['p50_us'], first['get']['p50_us']), 2)}"
                f" / ×{num(ratio(lv['create']['p50_us'], first['create']['p50_us']), 2)} of {num(first['tenants'])}")
            add("Tenant count" + label, f"{lv['tenants']:,} tenants{collections}: get_tenant / create_tenant median (p99)",
                f"{num(lv['get']['p50_us'])} µs / {num(lv['create']['p50_us'] / 1000, 1)} ms"
                f" (p99 {num(lv['get']['p99_us'])} µs / {num(lv['create']['p99_us'] / 1000, 1)} ms){scaled}")

    route = " → ".join([get(r, "move", "sizes", 0, "moves", 0, "from") or "collection"] + (get(r, "move", "layouts") or []))
    for m in get(r, "move", "sizes") or []:
        n, count = f"{m['documents']:,} docs", len(m["moves"])
        add("Move", f"{n} × {m['doc_bson_bytes']} B: move_tenant {route} (median of {count})",
            f"{num(m['move_docs_per_second'])} docs/s ({num(median([mv['seconds'] for mv in m['moves']]), 2)} s per move)")
        add("Move", f"{n}: bare copy from the same place, {num(get(r, 'move', 'batch'))} per batch in _id order (median of {count})",
            f"{num(m['bare_docs_per_second'])} docs/s")
        add("Move", f"{n}: move / bare copy (each move / the copy before it)",
            f"×{num(m['ratio'], 2)} ({', '.join(num(x, 2) for x in m['pair_ratios'])})")
        heard = [mv["progress"] for mv in m["moves"]]
        add("Move", f"{n}: progress callback, per move (median): reports (copy, catch-up, done); last rate before done;"
            " the copy caught up after",
            f"{num(median([h['reports'] for h in heard]))} ({num(median([h['copy_reports'] for h in heard]))},"
            f" {num(median([h['catch_up_reports'] for h in heard]))}, {num(median([h['done_reports'] for h in heard]))});"
            f" {num(median([h['last_rate'] or 0 for h in heard]))} docs/s;"
            f" {num(median([h['copied_after_seconds'] or 0 for h in heard]), 2)} s of"
            f" {num(median([mv['seconds'] for mv in m['moves']]), 2)} s")
    for e in get(r, "export", "sizes") or []:
        n = f"{e['documents']:,} docs × {e['doc_bson_bytes']} B"
        add("Export", f"{n}: export_tenant to a sink (median of {get(r, 'export', 'runs')})",
            f"{num(e['export_docs_per_second'])} docs/s (archive {num(e['archive_bytes'] / 1e6, 1)} MB)")
        add("Export", f"{n}: bare scan, one cursor in _id order, 256 KiB writes to a sink",
            f"{num(e['scan_docs_per_second'])} docs/s")
        add("Export", f"{n}: export / bare scan (each pair)",
            f"×{num(e['ratio'], 2)} ({', '.join(num(x, 2) for x in e['pair_ratios'])})")
    mig = get(r, "migrate")
    if mig:
        t = f"{mig['tenants']:,} tenants × {mig['migrations_per_run']} migrations, parallelism {mig['parallelism']}"
        add("Migrations", f"{t}: migrate (median of {mig['runs']})", f"{num(mig['core_tenants_per_second'])} tenants/s")
        add("Migrations", f"{t}: bare driver loop", f"{num(mig['bare_tenants_per_second'])} tenants/s")
        add("Migrations", f"{t}: migrate / bare loop (each pair)",
            f"×{num(mig['ratio'], 2)} ({', '.join(num(x, 2) for x in mig['pair_ratios'])})")
    return out


def table(r: dict[str, Any]) -> str:
    body = rows(r)
    w0 = max([len(a) for a, _, _ in body] + [9])
    w1 = max([len(b) for _, b, _ in body] + [11])
    lines = [f"{'benchmark':<{w0}}  {'measurement':<{w1}}  value", "-" * (w0 + w1 + 30)]
    lines += [f"{a:<{w0}}  {b:<{w1}}  {c}" for a, b, c in body]
    lines += ["", "targets:"]
    for t in r.get("targets", []):
        v = num(t["value"], 2) if t["value"] is not None else t["why_none"] or "–"
        lines.append(f"  [{verdict(t):>12}] {t['name']}: {v} (target {t['op']} {t['limit']}) {t['detail']}")
    if r.get("errors"):
        lines += ["", "errors:"] + [f"  {k}: {v.splitlines()[-1] if v else ''}" for k, v in r["errors"].items()]
    return "\n".join(lines)


def write_markdown(r: dict[str, Any], path: Path) -> None:
    m, mach, lay = r["meta"], r["machine"], r["layout"]
    md: list[str] = []
    md += [
        "# Benchmarks",
        "",
        "<!-- Generated by `make bench` (scripts/bench.sh → benches/run.py → benches/report.py).",
        "     Do not edit: change benches/report.py or benches/FINDINGS.md and rerun. -->",
        "",
        f"Command: `{m['command']}` — {m['date']}, commit `{m['git']}`{' (with uncommitted changes)' if m.get('git_dirty') else ''}.",
        f"Machine: {mach['cores']} cores ({mach['cpu_model']}), {mach['memory_gib']} GiB memory, Linux {mach['kernel']}; "
        f"load average {', '.join(map(str, mach['load_average_at_start']))} at the start"
        + (f" and {', '.join(map(str, mach['load_average_at_end']))} at the end" if mach.get("load_average_at_end") else "")
        + ".",
        f"Toolchain: {m['rustc']}; {m['python']}; Node {m['node']}; database: {m['database']}.",
        f"Runtime: {m.get('bench_seconds', '?')} s of measurement"
        + (f" after {m['build_seconds']} s of installing and building" if m.get("build_seconds") is not None else "")
        + ".",
        "",
    ]
    # Sections run again later and merged into these results: one entry, or a list.
    again = m.get("rerun_after") or []
    for rerun in again if isinstance(again, list) else [again]:
        command = rerun.get("command") or f"BENCH_ONLY={','.join(rerun['sections'])} benches/run.py"
        load = rerun.get("load_average")
        md += [
            f"Re-run with `{command}` at {rerun['date']} (commit `{rerun['git']}`"
            + (", with uncommitted changes" if rerun.get("git_dirty") else "")
            + f"), merged into this run's results: {rerun['why']}."
            + (f" Load average {', '.join(map(str, load[0]))} at its start and {', '.join(map(str, load[1]))} at its end"
               + (f": {rerun['machine_note']}" if rerun.get("machine_note") else "") + "." if load else ""),
            "",
        ]
    busy = max(mach["load_average_at_start"][0], (mach.get("load_average_at_end") or [0])[0])
    if busy > 0.5 * (mach["cores"] or 1):
        md += [
            f"**Noisy run:** the load average reached {busy:g} on {mach['cores']} cores, so other work shared the cores"
            " (pinning keeps the benchmark's own processes apart, not the machine's). Ratios measured within one run are"
            " more robust than absolute figures; rerun `make bench` on a quiet machine before quoting numbers.",
            "",
        ]
    md += [
        "How it runs:",
        "",
        f"- Each load figure is the median of {m['runs']} runs of {m['seconds_per_run']:g} s (after 1 s of warm-up); latencies"
        " are per request, percentiles by nearest rank.",
        "- The HTTP servers run one at a time, each on its own database, built for release"
        " (`cargo build --release -p tenantry-http`; the Python wheel with `maturin build --release`; the Node addon with"
        " `napi build --release`; all for the host triple, which napi always names, so that they share one dependency"
        " build), with their shipped defaults (request logging on, login throttling on); the load"
        " generator is `benches/loadgen` (a small keep-alive HTTP/1.1 client on tokio).",
        "- Servers: `target/<host triple>/release/tenantry-http`; FastAPI `python app.py` in examples/fastapi (uvicorn, one process);"
        " Express `node server.js` in examples/express.",
        "- Cores: " + (
            f"MongoDB-wire server on cpu {cpus(lay['mongo_cpus'])}, load generator on cpu {cpus(lay['loadgen_cpus'])}, HTTP server "
            f"(and every in-process benchmark: criterion, raw driver, rename, tenant count, bindings, bcrypt) on cpu "
            f"{cpus(lay['server_cpus'])}, with `taskset`."
            + (" With 2 cores the database and the load generator share one." if lay['mongo_cpus'] == lay['loadgen_cpus'] else "")
            if lay["pinned"] else "not pinned (fewer than 2 cores or no taskset)."
        ),
        f"- bcrypt cost {m['login_bcrypt_cost']} for the login runs (the default is 12); the limit is the server's cores"
        " divided by the CPU time of one verification at that cost, measured in the same run on a server core. Logins are successful"
        " ones only, spread over 16 admins (login throttling stays on; successful logins reset it).",
        "- Storm: one connection sends `GET /org/get` every 2 ms; its p99 alone, then while 8 connections log in back to"
        " back (measured after 1 s of storm).",
        "- Hot path under wrk (benches/hotpath.py): each server unpinned, at its default bcrypt cost (12), with wrk"
        " sharing the cores: `GET /org/get` at 32 connections; at 4 connections alone and beside 8 connections logging"
        " in back to back (the storm); logins alone and in the storm. Medians over "
        + str(get(r, "hotpath", "rounds") or "?") + " rounds of " + num(get(r, "hotpath", "seconds") or 0) + " s per phase,"
        " the servers alternating.",
        "- Tenant-count runs use bcrypt cost 4 (hashing ≈ "
        + num(get(r, "bcrypt", "cost4", "hash_ms"), 2)
        + " ms of each create). Tenants are created through `create_tenant`, 16 at a time, within a time budget per level;"
        " should it run out, the rest are seeded in bulk as copies of the records the core wrote (the results show how"
        " many: "
        + "; ".join(
            f"{layout} layout " + ", ".join(f"{num(lv.get('seeded_in_bulk', 0))} of {num(lv['tenants'])}" for lv in levels)
            for layout, levels in (
                (get(r, section, "layout") or "collection", get(r, section, "levels") or []) for section, _ in SCALES
            )
            if levels
        )
        + "). Every measured call goes through the core. The collections counted are those of the master database"
        " (`listCollections`), which also holds the tenants' data here.",
    ]
    md += [f"- {line}" for line in commands(r)]
    md += [
        "",
        "## Targets",
        "",
        "| target | measured | goal | verdict |",
        "|---|---|---|---|",
    ]
    for t in r.get("targets", []):
        value = num(t["value"], 2) if t["value"] is not None else (t["why_none"] or "–")
        md.append(f"| {t['name']} | {value} ({t['detail']}) | {t['op']} {t['limit']:g} | {verdict(t)} |")
    md += ["", "## Results", "", "| benchmark | measurement | value |", "|---|---|---|"]
    md += [f"| {a} | {b} | {c} |" for a, b, c in rows(r)]
    if r.get("errors"):
        md += ["", "## Errors in this run", ""]
        md += [f"- **{k}**: `{(v.strip().splitlines() or [''])[-1][:300]}`" for k, v in r["errors"].items()]
    findings = ROOT / "benches" / "FINDINGS.md"
    if findings.exists():
        md += ["", findings.read_text().strip()]
    md += ["", "Raw numbers of every run: `target/bench/results.json`.", ""]
    path.write_text("\n".join(md))


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "target" / "bench" / "results.json"
    r = json.loads(path.read_text())
    evaluate(r)
    write_markdown(r, ROOT / "BENCHMARKS.md")
    print(table(r))


if __name__ == "__main__":
    main()
