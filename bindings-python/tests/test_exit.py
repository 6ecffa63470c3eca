"""Short-lived processes exit cleanly: no runtime thread touches the interpreter while it
finalizes (which aborts the process: pyo3-async-runtimes issue #40). The race is narrow,
so each case runs in a dozen fresh interpreters."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import JWT_SECRET, mongo_uri

PRELUDE = f"""
import asyncio
from tenantry import TenantManager, TenantNotFound

async def connect(master_db):
    return await TenantManager.connect(
        mongo_uri={mongo_uri()!r}, jwt_secret={JWT_SECRET!r}, master_db=master_db, bcrypt_cost=4
    )
"""

CASES = {
    # The last await completes (with an error, the longer path) just before exit.
    "last_call_awaited": """
async def main(master_db):
    manager = await connect(master_db)
    for _ in range(3):
        try:
            await manager.get_tenant("nobody")
        except TenantNotFound:
            pass
""",
    # Calls still in flight when the interpreter exits.
    "calls_left_pending": """
async def main(master_db):
    manager = await connect(master_db)
    pending = [manager.get_tenant("nobody") for _ in range(50)]
    await asyncio.sleep(0.001)
""",
}


@pytest.mark.parametrize("case", CASES)
def test_process_exits_cleanly(master_db: str, case: str) -> None:
    script = PRELUDE + CASES[case] + f"\nasyncio.run(main({master_db!r}))\n"
    for run in range(12):
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
        # (asyncio may warn about results nobody retrieved: expected, and harmless.)
        crashed = done.returncode != 0 or "Fatal Python error" in done.stderr or "panicked" in done.stderr
        assert not crashed, f"run {run}: exit {done.returncode}\n{done.stderr[-2000:]}"
