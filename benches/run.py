#!/usr/bin/env python3
"""Run every benchmark of `make bench` and write target/bench/results.json.

Called by scripts/bench.sh once everything is built; it needs only the standard library.
Starts its own MongoDB-wire server (scripts/mongo.sh; or uses $MONGODB_URI / $MONGO_URI),
pins processes to cores with taskset, runs each HTTP server alone, and hands the results
to benches/report.py, which prints the table and regenerates BENCHMARKS.md.

Knobs (environment): BENCH_RUNS (3) runs per measurement, medians quoted; BENCH_SECS (4)
seconds per measured load run; BENCH_ONLY (comma list of SECTIONS) to run a subset. A subset's
run writes results.json and BENCHMARKS.md with that subset only.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from statistics import median
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "target" / "bench"
# scripts/bench.sh builds everything for the host triple named explicitly (napi always
# names it, and builds for one --target share their compiled dependencies only with builds
# for the same --target), so the binaries are in target/<triple>/release.
RELEASE = ROOT / "target" / os.environ.get("CARGO_BUILD_TARGET", "") / "release"
LOADGEN = RELEASE / "tenantry-loadgen"
RUST_SERVER = RELEASE / "tenantry-http"
VENV_PY = ROOT / ".venv" / "bin" / "python"
JWT_SECRET = "tenantry-bench-secret-0123456789"

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
SECS = float(os.environ.get("BENCH_SECS", "4"))
ONLY = {s.strip() for s in os.environ.get("BENCH_ONLY", "").split(",") if s.strip()}
SECTIONS = ("criterion", "bcrypt", "servers", "hotpath", "revocation", "cache_memory", "binding_python",
            "binding_node", "rename", "rename_stable", "scale", "scale_shared", "move", "export", "migrate")
LOGIN_COST = 10  # bcrypt cost of the admins the login runs use (the default is 12)
SEED_ORGS = 16  # tenants (and admins) created on each server before its runs
GET_CONC = 16  # connections of the lookup runs
LOGIN_CONC = 8  # connections of the login runs and of the storm
PROBE_INTERVAL_US = 2000  # one GET every 2 ms during the storm runs


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- cores ---------------------------------------------------------------------------


class Layout:
    """Which cores each process gets. With 4+ cores: MongoDB, load generator and server
    each alone; with 2-3: MongoDB and the load generator share the first core, the server
    gets the rest; with 1: nothing is pinned."""

    def __init__(self) -> None:
        cpus = sorted(os.sched_getaffinity(0))
        self.cpus = cpus
        if len(cpus) >= 4:
            self.mongo, self.gen, self.server = [cpus[0]], [cpus[1]], cpus[2:]
        elif len(cpus) >= 2:
            self.mongo, self.gen, self.server = [cpus[0]], [cpus[0]], cpus[1:]
        else:
            self.mongo = self.gen = self.server = cpus
        self.pinned = len(cpus) >= 2 and shutil.which("taskset") is not None

    def pin(self, cpus: list[int], cmd: list[str]) -> list[str]:
        if not self.pinned:
            return cmd
        return ["taskset", "-c", ",".join(map(str, cpus)), *cmd]

    def describe(self) -> dict[str, Any]:
        return {
            "pinned": self.pinned,
            "mongo_cpus": self.mongo,
            "loadgen_cpus": self.gen,
            "server_cpus": self.server,
            "server_cores": len(self.server),
        }


# --- helpers -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def loadgen(layout: Layout, cpus: list[int], command: str, /, **opts: Any) -> dict[str, Any]:
    """Run `tenantry-loadgen command --key value...` on `cpus`; its JSON, with the options
    it was given under "options" (the report quotes them)."""
    cmd = [str(LOADGEN), command]
    for key, value in opts.items():
        cmd += [f"--{key.replace('_', '-')}", str(value)]
    proc = subprocess.run(layout.pin(cpus, cmd), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"loadgen {command} failed: {proc.stderr.strip()[-2000:]}")
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    out.setdefault("options", {"command": command, **{k: str(v) for k, v in opts.items() if k not in ("uri", "url")}})
    return out


def med(values: list[float]) -> float:
    return float(median(values)) if values else float("nan")


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in KiB."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


def machine() -> dict[str, Any]:
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(next(line for line in f if line.startswith("MemTotal")).split()[1])
    return {
        "cores": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def tool_version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "unavailable"


# --- HTTP servers --------------------------------------------------------------------


class Server:
    def __init__(self, kind: str, cmd: list[str], cwd: Path, layout: Layout, uri: str,
                 extra_env: dict[str, str] | None = None) -> None:
        self.kind, self.layout = kind, layout
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.master_db = f"bench_{kind}_{os.getpid()}"
        env = dict(os.environ)
        env.update(
            PORT=str(self.port),
            HOST="127.0.0.1",
            MONGO_URI=uri,
            MONGODB_URI=uri,
            MASTER_DB=self.master_db,
            JWT_SECRET=JWT_SECRET,
            BCRYPT_COST=str(LOGIN_COST),
        )
        # Overrides; an empty value unsets the variable (the server's default then holds).
        for key, value in (extra_env or {}).items():
            if value:
                env[key] = value
            else:
                env.pop(key, None)
        OUT.mkdir(parents=True, exist_ok=True)
        self.log_path = OUT / f"server-{kind}.log"
        self.log = open(self.log_path, "wb")
        # taskset execs the server: the pid is the server's.
        self.proc = subprocess.Popen(
            layout.pin(layout.server, cmd), cwd=cwd, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 90
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{kind} server exited at start: {self.tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{kind} server not ready in 90 s: {self.tail()}")
            time.sleep(0.1)

    def tail(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-1500:]

    def memory(self) -> dict[str, int]:
        return proc_status(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def not_built(part: str) -> str | None:
    """Why scripts/bench.sh could not build the `python` or `node` binding, if it could not."""
    marker = OUT / f"not-built-{part}"
    return f"not built: {marker.read_text().strip()}" if marker.exists() else None


def server_commands() -> dict[str, tuple[list[str], Path] | str]:
    """How to start each server, or why it cannot start here."""
    out: dict[str, tuple[list[str], Path] | str] = {}
    out["rust"] = (
        ([str(RUST_SERVER)], ROOT)
        if RUST_SERVER.exists()
        else "not built (cargo build --release -p tenantry-http)"
    )
    fastapi = ROOT / "examples" / "fastapi"
    if not_built("python"):
        out["fastapi"] = not_built("python") or ""
    elif not (fastapi / "app.py").exists():
        out["fastapi"] = "not built: examples/fastapi/app.py is missing"
    elif subprocess.run(
        [str(VENV_PY), "-c", "import tenantry, fastapi, uvicorn, fastapi_offline"],
        cwd=fastapi,
        capture_output=True,
    ).returncode:
        out["fastapi"] = "not built: the tenantry wheel or the example's requirements are not installed in .venv"
    else:
        out["fastapi"] = ([str(VENV_PY), "app.py"], fastapi)
    express = ROOT / "examples" / "express"
    node = shutil.which("node")
    if not_built("node"):
        out["express"] = not_built("node") or ""
    elif not (express / "server.js").exists():
        out["express"] = "not built: examples/express/server.js is missing"
    elif not node:
        out["express"] = "not built: node is not installed"
    elif subprocess.run(
        [node, "--input-type=module", "-e", "await import('tenantry'); await import('express')"],
        cwd=express,
        capture_output=True,
    ).returncode:
        out["express"] = "not built: examples/express cannot import tenantry/express (npm install, napi build)"
    else:
        out["express"] = ([node, "server.js"], express)
    return out


def bench_server(kind: str, cmd: list[str], cwd: Path, layout: Layout, uri: str) -> dict[str, Any]:
    log(f"{kind}: starting")
    srv = Server(kind, cmd, cwd, layout, uri)
    res: dict[str, Any] = {"status": "ok", "command": " ".join(cmd), "master_db": srv.master_db}
    try:
        time.sleep(1.0)
        res["memory_at_rest_kib"] = srv.memory()
        gen = layout.gen
        res["seed"] = loadgen(layout, gen, "seed", url=srv.url, orgs=SEED_ORGS, conc=2)
        lookups, raws = [], []
        for _ in range(RUNS):
            lookups.append(loadgen(layout, gen, "get", url=srv.url, conc=GET_CONC, secs=SECS, warmup=1))
            if kind == "rust":
                # The same find_one straight through the driver, in the server's place (the
                # server sits idle meanwhile), alternating with the server's runs so that
                # both see the same background.
                raws.append(loadgen(layout, layout.server, "raw-find", uri=uri, db=srv.master_db,
                                    conc=GET_CONC, secs=SECS, warmup=1))
        log(f"{kind}: lookups/s {[round(r['per_second']) for r in lookups]}")
        if raws:
            log(f"raw driver find_one/s {[round(r['per_second']) for r in raws]}")
            res["raw_find"] = {
                "runs": raws,
                "per_second": med([r["per_second"] for r in raws]),
                "p50_us": med([r["latency"]["p50_us"] for r in raws]),
            }
        logins = [
            loadgen(layout, gen, "login", url=srv.url, conc=LOGIN_CONC, admins=SEED_ORGS, secs=SECS, warmup=1)
            for _ in range(RUNS)
        ]
        log(f"{kind}: logins/s {[round(r['per_second'], 1) for r in logins]}")
        storms = [
            loadgen(
                layout, gen, "storm", url=srv.url, conc=LOGIN_CONC, admins=SEED_ORGS,
                secs=SECS, warmup=1, interval_us=PROBE_INTERVAL_US,
            )
            for _ in range(RUNS)
        ]
        log(f"{kind}: storm p99 ratios {[round(r['p99_ratio'], 2) for r in storms]}")
        res["memory_after_load_kib"] = srv.memory()
        res["lookup"] = {
            "runs": lookups,
            "per_second": med([r["per_second"] for r in lookups]),
            "p50_us": med([r["latency"]["p50_us"] for r in lookups]),
            "p99_us": med([r["latency"]["p99_us"] for r in lookups]),
            "errors": sum(r["errors"] for r in lookups),
        }
        res["login"] = {
            "runs": logins,
            "per_second": med([r["per_second"] for r in logins]),
            "errors": sum(r["errors"] for r in logins),
        }
        res["storm"] = {
            "runs": storms,
            "rest_p99_us": med([r["rest"]["p99_us"] for r in storms]),
            "storm_p99_us": med([r["storm"]["p99_us"] for r in storms]),
            "p99_ratio": med([r["p99_ratio"] for r in storms]),
            "storm_logins_per_second": med([r["storm_logins_per_second"] for r in storms]),
        }
        errors = res["lookup"]["errors"] + res["login"]["errors"]
        if errors:
            first = next((r["first_error"] for r in lookups + logins if r["first_error"]), "")
            res["status"] = f"ok, with {errors} failed requests (first: {first[:200]})"
    finally:
        srv.stop()
    return res


# --- criterion -----------------------------------------------------------------------


def criterion(layout: Layout, uri: str) -> dict[str, Any]:
    built = subprocess.run(
        ["cargo", "bench", "-p", "tenantry", "--bench", "core", "--no-run", "--message-format=json"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    exe = None
    for line in built.stdout.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg.get("target", {}).get("name") == "core" and msg.get("executable"):
            exe = msg["executable"]
    if not exe:
        raise RuntimeError("cargo did not report the criterion bench executable")
    home = OUT / "criterion"
    env = dict(os.environ, MONGODB_URI=uri, CRITERION_HOME=str(home))
    run = subprocess.run(
        layout.pin(layout.server[:1], [exe, "--bench"]), cwd=ROOT / "core", env=env, capture_output=True, text=True
    )
    if run.returncode:
        raise RuntimeError(f"criterion failed: {run.stderr[-2000:]}")
    out = {}
    for bench in ("token/decode_token", "token/verify_token", "token/verify_token_uncached",
                  "naming/name_key_ascii", "naming/name_key_unicode"):
        path = home / bench / "new" / "estimates.json"
        if path.exists():
            est = json.loads(path.read_text())
            ns = est["median"]["point_estimate"]
            out[bench] = {"median_ns": ns, "per_second_per_core": 1e9 / ns}
    return out


# --- binding overhead ----------------------------------------------------------------


def python_binding(layout: Layout, uri: str) -> dict[str, Any]:
    script = ROOT / "bindings-python" / "bench" / "get_tenant.py"
    if not_built("python"):
        return {"status": not_built("python")}
    if not script.exists():
        return {"status": "not built: bindings-python/bench/get_tenant.py is missing"}
    if subprocess.run([str(VENV_PY), "-c", "import tenantry, pymongo"], capture_output=True).returncode:
        return {"status": "not built: the tenantry wheel is not installed in .venv"}
    runs = []
    labels = {
        "binding": r"tenantry get_tenant \(binding\)",
        "pymongo_async": r"pymongo AsyncMongoClient\.find_one",
        "pymongo_sync": r"pymongo MongoClient\.find_one",
    }
    for _ in range(RUNS):
        proc = subprocess.run(
            layout.pin(layout.server, [str(VENV_PY), str(script), "2000"]),
            env=dict(os.environ, MONGODB_URI=uri), capture_output=True, text=True,
        )
        if proc.returncode:
            raise RuntimeError(f"get_tenant.py failed: {proc.stderr[-1500:]}")
        run = {}
        for key, label in labels.items():
            m = re.search(label + r"\s+median\s+([\d.]+)\s*us", proc.stdout)
            if not m:
                raise RuntimeError(f"cannot read '{key}' from get_tenant.py output:\n{proc.stdout}")
            run[key] = float(m.group(1))
        runs.append(run)
    res: dict[str, Any] = {"status": "ok", "script": str(script.relative_to(ROOT)), "runs": runs}
    for key in labels:
        res[f"{key}_us"] = med([r[key] for r in runs])
    res["ratio_vs_async"] = med([r["binding"] / r["pymongo_async"] for r in runs])
    res["ratio_vs_sync"] = med([r["binding"] / r["pymongo_sync"] for r in runs])
    return res


def node_binding(layout: Layout, uri: str) -> dict[str, Any]:
    pkg = ROOT / "bindings-node"
    script = pkg / "bench" / "get-tenant.mjs"
    node = shutil.which("node")
    if not_built("node"):
        return {"status": not_built("node")}
    if not script.exists():
        return {"status": "not built: bindings-node/bench/get-tenant.mjs is missing"}
    if not node or not list(pkg.glob("*.node")):
        return {"status": "not built: no compiled bindings-node/*.node (npx napi build --release)"}
    runs = []
    for _ in range(RUNS):
        proc = subprocess.run(
            layout.pin(layout.server, [node, str(script), "2000"]), cwd=pkg,
            env=dict(os.environ, MONGODB_URI=uri), capture_output=True, text=True,
        )
        if proc.returncode:
            raise RuntimeError(f"get-tenant.mjs failed: {proc.stderr[-1500:]}")
        run = {}
        for key, label in (("binding", "binding getTenant"), ("driver", "driver findOne")):
            m = re.search(label + r"\s+median\s+([\d.]+)\s*µs", proc.stdout)
            if not m:
                raise RuntimeError(f"cannot read '{key}' from get-tenant.mjs output:\n{proc.stdout}")
            run[key] = float(m.group(1))
        m = re.search(r"binding / driver median:\s*([\d.]+)x", proc.stdout)
        run["ratio"] = float(m.group(1)) if m else run["binding"] / run["driver"]
        runs.append(run)
    return {
        "status": "ok",
        "script": str(script.relative_to(ROOT)),
        "runs": runs,
        "binding_us": med([r["binding"] for r in runs]),
        "driver_us": med([r["driver"] for r in runs]),
        "ratio": med([r["ratio"] for r in runs]),
    }


# --- the hot path ----------------------------------------------------------------------

HOT_ROUNDS = int(os.environ.get("BENCH_HOT_ROUNDS", "3"))
HOT_SECS = float(os.environ.get("BENCH_HOT_SECS", "8"))


def hot_path(uri: str) -> dict[str, Any]:
    """The three servers under wrk (benches/hotpath.py), at the default bcrypt cost."""
    import hotpath

    servers = [(kind, how[0], how[1]) for kind, how in server_commands().items() if not isinstance(how, str)]
    return {
        "rounds": HOT_ROUNDS,
        "seconds": HOT_SECS,
        "servers": hotpath.compare(servers, uri, HOT_ROUNDS, HOT_SECS, env={"BCRYPT_COST": ""}),
    }


def duration_ms(text: str) -> float:
    """A Rust `Duration` as `Debug` prints it (`1.99ms`, `350µs`, `1.2s`), in ms."""
    m = re.fullmatch(r"([\d.]+)(ns|µs|ms|s)", text.strip())
    if not m:
        raise ValueError(f"not a duration: {text!r}")
    scale = {"ns": 1e-6, "µs": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]
    return float(m.group(1)) * scale


def revocation(uri: str) -> dict[str, Any]:
    """core/tests/cache.rs: a token revoked by one process, refused by another (200
    trials), and renames and deletes seen by a second manager under racing reads."""
    proc = subprocess.run(
        ["cargo", "test", "--release", "-p", "tenantry", "--test", "cache", "--", "--nocapture", "--test-threads", "1"],
        cwd=ROOT, env=dict(os.environ, MONGODB_URI=uri, TENANTRY_REVOCATIONS="200"),
        capture_output=True, text=True,
    )
    if proc.returncode:
        raise RuntimeError(f"core/tests/cache.rs failed: {(proc.stdout + proc.stderr)[-2000:]}")
    m = re.search(r"over (\d+) trials: p50 (\S+), p99 (\S+), max (\S+)", proc.stdout)
    w = re.search(r"within (\S+) \(worst of (\d+)\), (\d+) racing reads", proc.stdout)
    if not m or not w:
        raise RuntimeError(f"cannot read core/tests/cache.rs output:\n{proc.stdout[-2000:]}")
    return {
        "trials": int(m.group(1)),
        "p50_ms": duration_ms(m.group(2)),
        "p99_ms": duration_ms(m.group(3)),
        "max_ms": duration_ms(m.group(4)),
        "changes_seen_within_ms": duration_ms(w.group(1)),
        "changes": int(w.group(2)),
        "racing_reads": int(w.group(3)),
    }


def cache_memory(layout: Layout, uri: str) -> dict[str, Any]:
    """RSS growth of the cache with 100,000 tenants read, at the default capacity and at a
    tenth of it (loadgen cache-memory)."""
    out = {}
    for capacity in (100_000, 10_000):
        out[str(capacity)] = loadgen(layout, layout.server, "cache-memory", uri=uri,
                                     db=f"bench_cache_{capacity}_{os.getpid()}", tenants=100_000,
                                     capacity=capacity, conc=16)
    return out


# --- main ----------------------------------------------------------------------------


def main() -> int:
    unknown = sorted(ONLY - set(SECTIONS))
    if unknown:
        # Running nothing would still regenerate BENCHMARKS.md, empty.
        log(f"BENCH_ONLY: no section named {', '.join(unknown)}; the sections are {', '.join(SECTIONS)}")
        return 2
    started = time.monotonic()
    layout = Layout()
    OUT.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "meta": {
            # scripts/bench.sh (`make bench`) sets BENCH_BUILD_SECONDS.
            "command": (f"BENCH_ONLY={','.join(s for s in SECTIONS if s in ONLY)} " if ONLY else "")
            + ("make bench" if os.environ.get("BENCH_BUILD_SECONDS") else "benches/run.py"),
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "git": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip(),
            # BENCHMARKS.md is this run's own output: a copy from an earlier run does not count.
            "git_dirty": bool(subprocess.run(["git", "status", "--porcelain", "--", ".", ":!BENCHMARKS.md"],
                                             cwd=ROOT, capture_output=True, text=True).stdout.strip()),
            "runs": RUNS,
            "seconds_per_run": SECS,
            "login_bcrypt_cost": LOGIN_COST,
            "rustc": tool_version(["rustc", "--version"]),
            "python": tool_version([str(VENV_PY), "--version"]),
            "node": tool_version(["node", "--version"]),
            "database": tool_version(["secantusd-rs", "--version"]),
        },
        "machine": machine(),
        "layout": layout.describe(),
        "errors": {},
    }
    external = os.environ.get("MONGODB_URI") or os.environ.get("MONGO_URI")
    mongo_dir = None
    if external:
        uri = external
        results["meta"]["database"] = "external (MONGODB_URI)"
        log("using the external database at MONGODB_URI")
    else:
        mongo_dir = tempfile.mkdtemp(prefix="tenantry-bench-")
        uri = subprocess.run(
            layout.pin(layout.mongo, [str(ROOT / "scripts" / "mongo.sh"), "start", mongo_dir]),
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        log(f"MongoDB-wire server {uri} on cpus {layout.mongo}")

    def section(name: str, fn: Callable[[], Any]) -> None:
        if ONLY and name not in ONLY:
            return
        t0 = time.monotonic()
        log(f"== {name}")
        try:
            results[name] = fn()
        except Exception as e:  # noqa: BLE001 - record, go on with the other sections
            traceback.print_exc()
            results["errors"][name] = str(e)[-2000:]
        log(f"== {name} done in {time.monotonic() - t0:.0f} s")

    try:
        section("criterion", lambda: criterion(layout, uri))
        section(
            "bcrypt",
            lambda: {
                "cost10": loadgen(layout, layout.server[:1], "bcrypt", cost=LOGIN_COST, n=15),
                "cost4": loadgen(layout, layout.server[:1], "bcrypt", cost=4, n=15),
            },
        )
        commands = server_commands()
        servers: dict[str, Any] = {}

        def run_servers() -> dict[str, Any]:
            for kind in ("rust", "fastapi", "express"):
                how = commands[kind]
                if isinstance(how, str):
                    log(f"{kind}: {how}")
                    servers[kind] = {"status": how}
                    continue
                try:
                    servers[kind] = bench_server(kind, how[0], how[1], layout, uri)
                except Exception as e:  # noqa: BLE001
                    traceback.print_exc()
                    servers[kind] = {"status": f"failed: {e}"[:2000]}
                    results["errors"][f"server {kind}"] = str(e)[-2000:]
            return servers

        section("servers", run_servers)
        if "raw_find" in servers.get("rust", {}):
            results["raw_find"] = servers["rust"].pop("raw_find")
        section("hotpath", lambda: hot_path(uri))
        section("revocation", lambda: revocation(uri))
        section("cache_memory", lambda: cache_memory(layout, uri))
        section("binding_python", lambda: python_binding(layout, uri))
        section("binding_node", lambda: node_binding(layout, uri))
        section(
            "rename",
            lambda: loadgen(layout, layout.server, "rename", uri=uri, db=f"bench_rename_{os.getpid()}",
                            sizes="1000,10000,100000", runs=5),
        )
        section(
            "rename_stable",
            lambda: loadgen(layout, layout.server, "rename", uri=uri, db=f"bench_rename_stable_{os.getpid()}",
                            naming="stable", sizes="1000,10000,100000", runs=5),
        )
        # The tenant-count runs read the database path: with the cache, a level's first
        # reads are misses and its repeats hits, which says nothing of the scaling.
        section(
            "scale",
            lambda: loadgen(layout, layout.server, "scale", uri=uri, db=f"bench_scale_{os.getpid()}",
                            layout="collection", levels="100,1000,10000", conc=16, core_fill_budget=90,
                            get_samples=400, create_samples=20, capacity=0),
        )
        section(
            "scale_shared",
            lambda: loadgen(layout, layout.server, "scale", uri=uri, db=f"bench_scale_shared_{os.getpid()}",
                            layout="shared", levels="100,1000,10000,100000", conc=16, core_fill_budget=90,
                            get_samples=400, create_samples=20, capacity=0),
        )
        section(
            "move",
            lambda: loadgen(layout, layout.server, "move", uri=uri, db=f"bench_move_{os.getpid()}",
                            sizes="10000,100000", layouts="shared,collection,database"),
        )
        section(
            "export",
            lambda: loadgen(layout, layout.server, "export", uri=uri, db=f"bench_export_{os.getpid()}",
                            sizes="10000,100000", runs=3),
        )
        section(
            "migrate",
            lambda: loadgen(layout, layout.server, "migrate", uri=uri, db=f"bench_migrate_{os.getpid()}",
                            tenants=10000, parallelism=8, runs=3),
        )
    finally:
        if mongo_dir:
            subprocess.run([str(ROOT / "scripts" / "mongo.sh"), "stop", mongo_dir], check=False)
            shutil.rmtree(mongo_dir, ignore_errors=True)

    results["meta"]["bench_seconds"] = round(time.monotonic() - started)
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    build_s = os.environ.get("BENCH_BUILD_SECONDS")
    if build_s:
        results["meta"]["build_seconds"] = int(build_s)
    sys.path.insert(0, str(Path(__file__).parent))
    import report

    report.evaluate(results)
    path = OUT / "results.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    report.write_markdown(results, ROOT / "BENCHMARKS.md")
    print(report.table(results))
    log(f"results: {path.relative_to(ROOT)}; report: BENCHMARKS.md")
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
