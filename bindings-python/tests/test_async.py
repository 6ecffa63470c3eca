"""The binding under asyncio: many tasks at once, and an event loop that keeps running
while bcrypt works."""

from __future__ import annotations

import asyncio
import time

import pytest
from pymongo.database import Database

from tenantry import TenantAlreadyExists, TenantManager, TenantNotFound, Tenant

from conftest import PASSWORD, Doc, connect, create, email_for, unique


async def test_racing_creates_of_one_name_give_one_success(manager: TenantManager) -> None:
    name = unique("Race")
    results = await asyncio.gather(
        *(manager.create_tenant(name, email_for(name), PASSWORD) for _ in range(20)),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, Tenant)]
    losers = [r for r in results if not isinstance(r, Tenant)]
    assert len(winners) == 1, results
    assert all(isinstance(e, TenantAlreadyExists) and e.field == "name" for e in losers), losers
    assert (await manager.get_tenant(name)) == winners[0]


async def test_racing_creates_of_one_email_give_one_success(manager: TenantManager, db: Database[Doc]) -> None:
    email = email_for("race x")
    results = await asyncio.gather(
        *(manager.create_tenant(unique("Race"), email.upper() if i % 2 else email, PASSWORD) for i in range(20)),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, Tenant)]
    losers = [r for r in results if not isinstance(r, Tenant)]
    assert len(winners) == 1, results
    assert all(isinstance(e, TenantAlreadyExists) and e.field == "email" for e in losers), losers
    # The losers left no collection behind.
    assert [c for c in db.list_collection_names() if c.startswith("org_")] == [winners[0].collection_name]


async def test_many_tasks_share_one_manager(manager: TenantManager) -> None:
    made = [await create(manager) for _ in range(5)]
    gets = [manager.get_tenant(m.tenant.name) for m in made for _ in range(40)]
    found = await asyncio.gather(*gets)
    assert [t.id for t in found] == [m.tenant.id for m in made for _ in range(40)]


async def test_cancelling_a_call_leaves_the_manager_usable(manager: TenantManager) -> None:
    made = await create(manager)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(manager.authenticate(made.email, made.password), timeout=0.000_1)
    assert (await manager.authenticate(made.email, made.password)).tenant_id == made.tenant.id


def cpu_wait() -> float:
    """Seconds this thread has spent runnable but waiting for a CPU (Linux schedstat), or
    0.0 where the kernel does not say."""
    try:
        with open("/proc/thread-self/schedstat") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


@pytest.mark.parametrize("cost", [10, 12])
async def test_event_loop_keeps_ticking_while_bcrypt_runs(master_db: str, cost: int) -> None:
    """A 5 ms ticker on the loop never stalls 100 ms while four logins hash at `cost`.

    A stall is the time between ticks beyond what the loop's thread spent waiting for a
    CPU: on a loaded 2-core machine the OS alone can leave any thread runnable for 100 ms
    and more, which no binding can prevent. What the binding could cause (holding the GIL,
    blocking the loop) shows up as time the thread was not runnable, and counts in full.
    """
    manager = await connect(master_db, bcrypt_cost=cost)
    made = await create(manager)  # one hash at this cost

    tick = 0.005
    gaps: list[tuple[float, float]] = []  # (wall time between ticks, of which CPU wait)
    stop = asyncio.Event()

    async def ticker() -> None:
        last, last_wait = time.perf_counter(), cpu_wait()
        while not stop.is_set():
            await asyncio.sleep(tick)
            now, now_wait = time.perf_counter(), cpu_wait()
            gaps.append((now - last, now_wait - last_wait))
            last, last_wait = now, now_wait

    ticking = asyncio.ensure_future(ticker())
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    logins = await asyncio.gather(*(manager.authenticate(made.email, made.password) for _ in range(4)))
    busy = time.perf_counter() - started
    stop.set()
    await ticking

    assert all(login.tenant_id == made.tenant.id for login in logins)
    # The logins took real time (4 verifications at this cost)...
    assert busy > 0.02, busy
    # ...during which the loop kept running its other task.
    assert len(gaps) >= busy / 0.1, (len(gaps), busy)
    stall = max(gap - waited for gap, waited in gaps)
    longest = max(gap for gap, _ in gaps)
    assert stall < 0.1, (
        f"loop stalled {stall * 1000:.1f} ms (longest gap {longest * 1000:.1f} ms) "
        f"during {busy * 1000:.0f} ms of logins"
    )


async def test_a_cached_answer_is_a_done_future(manager: TenantManager) -> None:
    """A tenant the core has in memory comes back in a future that is already done: no
    trip through the runtime's threads and the event loop. A miss, or an error, still
    arrives the usual way and means the same."""
    created = await create(manager)
    # The cache answers once its change stream is live (right after connecting it may
    # not be yet): the first reads fill it.
    deadline = time.monotonic() + 5
    while True:
        hit = manager.get_tenant(created.tenant.name)
        if hit.done() or time.monotonic() > deadline:
            break
        await hit
        await asyncio.sleep(0.05)
    assert hit.done(), "a cached tenant must resolve at once"
    assert (await hit) == created.tenant
    with pytest.raises(TenantNotFound):
        await manager.get_tenant(unique("Absent"))


async def test_with_the_cache_off_every_answer_goes_through_the_loop(master_db: str) -> None:
    manager = await connect(master_db, cache_capacity=0)
    async with manager:
        created = await create(manager)
        await manager.get_tenant(created.tenant.name)
        pending = manager.get_tenant(created.tenant.name)
        assert not pending.done()
        assert (await pending) == created.tenant
