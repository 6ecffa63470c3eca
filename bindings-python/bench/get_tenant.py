"""Latency of `get_tenant` through the binding against the same `find_one` with pymongo.

    MONGODB_URI=mongodb://... .venv/bin/python bindings-python/bench/get_tenant.py [CALLS]

The core's `get_tenant` normalizes the name, runs `find_one({"name_key": key})` on
`organizations` and converts the record; pymongo runs that same query, both synchronously
(MongoClient) and on the same event loop (AsyncMongoClient). Calls are sequential (one in
flight), after a warm-up, in interleaved rounds, on a fresh master database that is
dropped at the end.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from pymongo import AsyncMongoClient, MongoClient

from tenantry import TenantManager, __version__

WARMUP = 200
ROUNDS = 10


def summary(label: str, samples: list[float]) -> str:
    us = sorted(s * 1e6 for s in samples)

    def pct(q: float) -> float:
        return us[min(len(us) - 1, int(q * len(us)))]

    return f"{label:34s} median {statistics.median(us):7.1f} us   p90 {pct(0.9):7.1f}   p99 {pct(0.99):7.1f}"


async def timed(call: Callable[[], Awaitable[Any] | Any], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        result = call()
        if inspect.isawaitable(result):
            await result
        samples.append(time.perf_counter() - start)
    return samples


async def main(n: int) -> None:
    uri = os.environ["MONGODB_URI"]
    master_db = f"bench_{uuid.uuid4().hex[:8]}"
    manager = await TenantManager.connect(
        mongo_uri=uri, jwt_secret="bench-secret-0123456789", master_db=master_db, bcrypt_cost=4,
        # The binding's cost over the driver's, on the same database read: without the cache
        # (which answers in about 2 µs and is measured in BENCHMARKS.md's hot path).
        cache_capacity=0,
    )
    name = "Bench Corp"
    await manager.create_tenant(name, "admin@bench.example", "benchmark-password")
    key = "bench_corp"

    sync_client: MongoClient[dict[str, Any]] = MongoClient(uri)
    async_client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri)
    try:
        sync_orgs = sync_client[master_db]["organizations"]
        async_orgs = async_client[master_db]["organizations"]
        assert sync_orgs.find_one({"name_key": key}) is not None

        calls: dict[str, Callable[[], Awaitable[Any] | Any]] = {
            "tenantry get_tenant (binding)": lambda: manager.get_tenant(name),
            "pymongo AsyncMongoClient.find_one": lambda: async_orgs.find_one({"name_key": key}),
            "pymongo MongoClient.find_one": lambda: sync_orgs.find_one({"name_key": key}),
        }
        for call in calls.values():
            await timed(call, WARMUP)
        # Interleaved rounds, so that a change of load on the machine hits all three alike.
        samples: dict[str, list[float]] = {label: [] for label in calls}
        for _ in range(ROUNDS):
            for label, call in calls.items():
                samples[label] += await timed(call, n // ROUNDS)
        print(f"tenantry {__version__}, Python {sys.version.split()[0]}, {n} sequential calls each after {WARMUP} warm-up")
        for label, taken in samples.items():
            print(summary(label, taken))
    finally:
        sync_client.drop_database(master_db)
        sync_client.close()
        await async_client.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000))
