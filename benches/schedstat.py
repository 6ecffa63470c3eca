#!/usr/bin/env python3
"""Where a login storm's GET p99 goes on a single-threaded server: GET p99 (wrk, 4
connections) and the server's main thread's CPU time and run-queue wait
(/proc/<pid>/task/<pid>/schedstat) at rest, beside a login storm (8 connections), and
beside a plain busy loop that has nothing to do with tenantry. Unpinned, like
benches/hotpath.py, whose helpers it uses::

    MONGODB_URI=... CARGO_BUILD_TARGET=<host triple> benches/schedstat.py LABEL CWD CMD...
    # e.g. benches/schedstat.py fastapi examples/fastapi $PWD/.venv/bin/python app.py
"""
import os, subprocess, sys, tempfile
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
import run, hotpath

uri = os.environ["MONGODB_URI"]
label, cwd, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
layout = hotpath.Unpinned()
def sched(pid):
    run_ns, wait_ns, _ = open(f"/proc/{pid}/task/{pid}/schedstat").read().split()
    return int(run_ns), int(wait_ns)
res = {}
with tempfile.TemporaryDirectory() as tmp:
    get_lua, login_lua = hotpath.scripts(Path(tmp))
    srv = run.Server(label, cmd, Path(cwd), layout, uri, extra_env={"BCRYPT_COST": ""})
    try:
        run.loadgen(layout, layout.gen, "seed", url=srv.url, orgs=16, conc=2)
        hotpath.wrk(srv.url, 8, 2, get_lua, hotpath.GET_PATH, "warm")
        for rnd in range(2):
            for phase in ("rest", "storm", "busy loop"):
                extra = None
                if phase == "storm":
                    extra = subprocess.Popen(hotpath.wrk_cmd(srv.url, 8, 8, login_lua, "/admin/login"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                elif phase == "busy loop":
                    extra = subprocess.Popen([sys.executable, "-c", "import time\nt=time.time()\nwhile time.time()-t<8: pass"])
                r0, w0 = sched(srv.proc.pid)
                g = hotpath.wrk(srv.url, 4, 8, get_lua, hotpath.GET_PATH, phase)
                r1, w1 = sched(srv.proc.pid)
                if extra: extra.wait()
                secs = g["duration_us"] / 1e6
                print(f"{label} {phase:10} GET/s {g['per_second']:7.0f} p99 {g['p99_us']:6d} us  loop thread: runs {(r1-r0)/1e9/secs*100:5.1f}% of a core, waits {(w1-w0)/1e9/secs*100:5.1f}%", flush=True)
    finally:
        srv.stop()
