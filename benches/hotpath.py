#!/usr/bin/env python3
"""The hot path under an independent closed-loop generator (wrk), for `make bench` and
for side-by-side comparisons of builds.

For each server, in one round (servers run one at a time, each on its own database,
unpinned: the server, wrk and the MongoDB-wire server share the machine's cores):

- ``get32``: ``GET /org/get`` at 32 connections;
- ``rest``: ``GET /org/get`` at 4 connections;
- ``logins``: ``POST /admin/login`` at 8 connections, alone;
- ``storm``: the 4 GET connections and the 8 login connections at once.

Rounds alternate the servers, so that all of them see the same background; figures are
medians over the rounds. Admins hash at the servers' default bcrypt cost unless
``HOTPATH_BCRYPT_COST`` says otherwise.

Standalone, to compare builds (each ``--server LABEL CWD CMD...`` a server to start; the
environment of this command reaches them)::

    benches/hotpath.py --rounds 3 --secs 8 \\
        --server rust-before . /tmp/before-bin/tenantry-http \\
        --server rust-after . target/release/tenantry-http

It needs wrk (``apt-get install wrk``) and the load generator (for the seeding).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
import run  # noqa: E402  (benches/run.py: Server, loadgen, log)

GET_PATH = "/org/get?organization_name=Bench%20Org%200"
ADMINS = 16

LUA_DONE = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"errors":%d,"non2xx":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""

LUA_LOGIN = r"""
local counter = 0
local threads = 0
setup = function(thread)
  thread:set("offset", threads)
  threads = threads + 1
end
request = function()
  counter = counter + 1
  local i = ((offset or 0) * 7 + counter) % %ADMINS%
  local body = string.format(
    '{"email":"bench%d@bench.example","password":"bench-password-123"}', i)
  return wrk.format("POST", "/admin/login", {["Content-Type"] = "application/json"}, body)
end
"""


class Unpinned(run.Layout):
    """Nothing pinned: the server, wrk and the database share every core, as in a
    deployment on one machine."""

    def __init__(self) -> None:
        super().__init__()
        self.pinned = False


def scripts(tmp: Path) -> tuple[Path, Path]:
    get = tmp / "get.lua"
    get.write_text(LUA_DONE)
    login = tmp / "login.lua"
    login.write_text(LUA_LOGIN.replace("%ADMINS%", str(ADMINS)) + LUA_DONE)
    return get, login


def wrk_cmd(url: str, conns: int, secs: float, script: Path, path: str) -> list[str]:
    threads = min(2, conns)
    return ["wrk", f"-t{threads}", f"-c{conns}", f"-d{secs:g}s", "--timeout", "10s",
            "-s", str(script), url + path]


def parse(proc: subprocess.CompletedProcess[str], what: str) -> dict[str, Any]:
    if proc.returncode != 0:
        raise RuntimeError(f"wrk ({what}) failed: {proc.stderr.strip()[-800:]}")
    line = proc.stdout.strip().splitlines()[-1]
    out: dict[str, Any] = json.loads(line)
    out["per_second"] = out["requests"] / (out["duration_us"] / 1e6)
    return out


def wrk(url: str, conns: int, secs: float, script: Path, path: str, what: str) -> dict[str, Any]:
    cmd = wrk_cmd(url, conns, secs, script, path)
    return parse(subprocess.run(cmd, capture_output=True, text=True), what)


def round_of(url: str, secs: float, get_lua: Path, login_lua: Path) -> dict[str, Any]:
    """One round of the four phases against a seeded server at `url`."""
    out: dict[str, Any] = {}
    wrk(url, 8, 1, get_lua, GET_PATH, "warm-up")
    out["get32"] = wrk(url, 32, secs, get_lua, GET_PATH, "GET, 32 connections")
    out["rest"] = wrk(url, 4, secs, get_lua, GET_PATH, "GET, 4 connections")
    out["logins"] = wrk(url, 8, secs, login_lua, "/admin/login", "logins alone")
    logins = subprocess.Popen(wrk_cmd(url, 8, secs, login_lua, "/admin/login"),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    gets = subprocess.run(wrk_cmd(url, 4, secs, get_lua, GET_PATH), capture_output=True, text=True)
    stdout, stderr = logins.communicate()
    out["storm_get"] = parse(gets, "GET during the storm")
    out["storm_logins"] = parse(subprocess.CompletedProcess([], logins.returncode, stdout, stderr),
                                "logins during the storm")
    for phase in out.values():
        if phase["errors"] or phase["non2xx"]:
            raise RuntimeError(f"failed requests: {phase}")
    return out


def summarize(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    def m(phase: str, key: str) -> float:
        return float(median(r[phase][key] for r in rounds))

    return {
        "rounds": rounds,
        "get32_per_second": m("get32", "per_second"),
        "get32_p99_us": m("get32", "p99_us"),
        "rest_p99_us": m("rest", "p99_us"),
        "storm_p99_us": m("storm_get", "p99_us"),
        "p99_ratio": float(median(r["storm_get"]["p99_us"] / r["rest"]["p99_us"] for r in rounds)),
        "logins_alone_per_second": m("logins", "per_second"),
        "storm_logins_per_second": m("storm_logins", "per_second"),
        "logins_ratio": float(median(
            r["storm_logins"]["per_second"] / r["logins"]["per_second"] for r in rounds)),
    }


def compare(servers: list[tuple[str, list[str], Path]], uri: str, rounds: int, secs: float,
            env: dict[str, str] | None = None) -> dict[str, Any]:
    """`rounds` rounds over `servers` (label, command, cwd), alternating."""
    if not shutil.which("wrk"):
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    layout = Unpinned()
    per: dict[str, list[dict[str, Any]]] = {label: [] for label, _, _ in servers}
    with tempfile.TemporaryDirectory() as tmp:
        get_lua, login_lua = scripts(Path(tmp))
        for k in range(rounds):
            for label, cmd, cwd in servers:
                run.log(f"hotpath round {k + 1}/{rounds}: {label}")
                srv = run.Server(label.replace("-", "_"), cmd, cwd, layout, uri, extra_env=env)
                try:
                    run.loadgen(layout, layout.gen, "seed", url=srv.url, orgs=ADMINS, conc=2)
                    r = round_of(srv.url, secs, get_lua, login_lua)
                    r["memory_kib"] = srv.memory()
                finally:
                    srv.stop()
                run.log(f"  GET/s {r['get32']['per_second']:.0f}; p99 rest {r['rest']['p99_us']} µs, "
                        f"storm {r['storm_get']['p99_us']} µs; logins {r['logins']['per_second']:.1f}/s "
                        f"alone, {r['storm_logins']['per_second']:.1f}/s in the storm")
                per[label].append(r)
    return {label: summarize(rs) for label, rs in per.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", nargs="+", action="append", required=True,
                    metavar="ARG", help="LABEL CWD CMD...: a server to start")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--secs", type=float, default=8)
    ap.add_argument("--out", type=Path, default=run.OUT / "hotpath-compare.json")
    args = ap.parse_args()
    servers = []
    for spec in args.server:
        if len(spec) < 3:
            ap.error("--server needs LABEL CWD CMD...")
        servers.append((spec[0], spec[2:], Path(spec[1]).resolve()))
    uri = os.environ.get("MONGODB_URI") or os.environ.get("MONGO_URI")
    if not uri:
        ap.error("MONGODB_URI must name the MongoDB-wire server")
    cost = os.environ.get("HOTPATH_BCRYPT_COST")
    env = {"BCRYPT_COST": cost or ""}
    started = time.monotonic()
    res = compare(servers, uri, args.rounds, args.secs, env=env)
    meta = {"command": " ".join(sys.argv), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "seconds": round(time.monotonic() - started), "load_average_at_end": os.getloadavg()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"meta": meta, "servers": res}, indent=2) + "\n")
    print(f"{'server':<16} {'GET/s (32)':>10} {'p99 rest':>9} {'p99 storm':>9} {'ratio':>6} "
          f"{'logins alone':>12} {'in storm':>9} {'ratio':>6}")
    for label, s in res.items():
        print(f"{label:<16} {s['get32_per_second']:>10.0f} {s['rest_p99_us']:>9.0f} {s['storm_p99_us']:>9.0f} "
              f"{s['p99_ratio']:>6.2f} {s['logins_alone_per_second']:>12.1f} "
              f"{s['storm_logins_per_second']:>9.1f} {s['logins_ratio']:>6.2f}")
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
