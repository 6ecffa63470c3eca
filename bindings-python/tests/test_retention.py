"""Soft delete, restore and purge, and listing tenants, through the binding: with
``deleted_retention_seconds`` set a deleted tenant is hidden but kept whole (data, admins,
name), comes back with ``restore_tenant``, goes with ``purge_tenant`` or, past its
retention, ``purge_expired()``/``recover()``; ``list_tenants`` pages through every tenant
once and its filters (and ``count_tenants``) hold; bad filters are ``InvalidInput`` naming
the filter; the HTTP helpers parse queries and write bodies as the core does."""

from __future__ import annotations

import asyncio
import json
import pickle
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pymongo.database import Database

import tenantry.fastapi as glue
from tenantry import (
    HOME_CLUSTER,
    InvalidCredentials,
    InvalidInput,
    Tenant,
    TenantAlreadyExists,
    TenantManager,
    TenantNotFound,
    TenantPage,
    Unauthorized,
)
from tenantry._native import _http_page_body, _http_tenant_body, _http_tenant_query

from conftest import PASSWORD, Doc, connect, create, mongo_uri, unique

HOUR = 3600


async def soft(master_db: str, retention: int = HOUR, **settings: Any) -> TenantManager:
    return await connect(master_db, deleted_retention_seconds=retention, **settings)


async def login(manager: TenantManager, email: str) -> str:
    return (await manager.authenticate(email, PASSWORD)).access_token


async def delete(manager: TenantManager, email: str) -> str:
    """Delete the tenant of the admin `email`; the token used to."""
    token = await login(manager, email)
    await manager.delete_tenant(await manager.verify_token(token))
    return token


async def every_page(manager: TenantManager, **filters: Any) -> list[Tenant]:
    """Every tenant `filters` match, page after page of two."""
    seen: list[Tenant] = []
    page = await manager.list_tenants(limit=2, **filters)
    while True:
        assert len(page) <= 2
        seen.extend(page)
        if page.next is None:
            return seen
        page = await manager.list_tenants(limit=2, after=page.next, **filters)


async def test_a_soft_delete_hides_the_tenant_and_keeps_it_whole_until_restored(master_db: str, db: Database[Doc]) -> None:
    manager = await soft(master_db)
    assert manager.settings["deleted_retention_seconds"] == HOUR
    made, neighbour = await create(manager), await create(manager)
    tenant = made.tenant
    db[tenant.collection_name].insert_many([{"n": i} for i in range(5)])
    assert (tenant.state, tenant.deleted_at, tenant.purge_after) == ("active", None, None)
    token = await delete(manager, made.email)

    # Hidden from every call but listing, restore and purge.
    with pytest.raises(TenantNotFound):
        await manager.get_tenant(tenant.name)
    with pytest.raises(InvalidCredentials):
        await manager.authenticate(made.email, PASSWORD)
    with pytest.raises(Unauthorized):
        await manager.verify_token(token)
    with pytest.raises(TenantNotFound):
        await manager.admin_collection(tenant.name, None)
    # Its data is kept, its name and email stay taken.
    assert db[tenant.collection_name].count_documents({}) == 5
    with pytest.raises(TenantAlreadyExists):
        await manager.create_tenant(tenant.name.upper(), "other@example.org", PASSWORD)
    with pytest.raises(TenantAlreadyExists):
        await manager.create_tenant(unique(), made.email, PASSWORD)

    page = await manager.list_tenants(state="deleted")
    assert [t.id for t in page] == [tenant.id] and page.next is None
    deleted = page.tenants[0]
    assert deleted.state == "deleted" and deleted.name == tenant.name
    assert deleted.deleted_at is not None and deleted.purge_after is not None
    assert deleted.deleted_at.tzinfo == timezone.utc == deleted.purge_after.tzinfo
    assert abs(deleted.purge_after - deleted.deleted_at - timedelta(seconds=HOUR)) < timedelta(seconds=1)
    assert abs(deleted.deleted_at - datetime.now(timezone.utc)) < timedelta(minutes=1)
    # The new fields are plain data like the others.
    assert pickle.loads(pickle.dumps(deleted)) == deleted != tenant
    as_dict = deleted.to_dict()
    assert (as_dict["state"], as_dict["deleted_at"], as_dict["purge_after"]) == ("deleted", deleted.deleted_at, deleted.purge_after)
    assert "state='deleted'" in repr(deleted) and "purge_after=" in repr(deleted)
    assert "state='active'" in repr(tenant) and "purge_after" not in repr(tenant)
    assert [t.id for t in await manager.list_tenants(state="active")] == [neighbour.tenant.id]

    # Back, whole: the same data, logins, and the token issued before the delete.
    back = await manager.restore_tenant(tenant.name.lower())
    assert (back.id, back.state, back.deleted_at, back.purge_after) == (tenant.id, "active", None, None)
    assert await manager.get_tenant(tenant.name) == back
    assert db[tenant.collection_name].count_documents({}) == 5
    await manager.authenticate(made.email, PASSWORD)
    assert (await manager.verify_token(token)).tenant_id == tenant.id
    with pytest.raises(TenantNotFound):
        await manager.restore_tenant(tenant.name)  # not deleted any more
    assert await manager.count_tenants(state="deleted") == 0
    await manager.aclose()


async def test_without_a_retention_a_delete_is_immediate(master_db: str) -> None:
    manager = await connect(master_db)
    made = await create(manager)
    await delete(manager, made.email)
    assert await manager.count_tenants() == 0
    with pytest.raises(TenantNotFound):
        await manager.restore_tenant(made.tenant.name)
    await manager.create_tenant(made.tenant.name, made.email, PASSWORD)  # the name is free


async def test_a_purge_removes_the_deleted_tenant_and_only_it(master_db: str, db: Database[Doc]) -> None:
    manager = await soft(master_db)
    made, kept = await create(manager), await create(manager)
    for t in (made.tenant, kept.tenant):
        db[t.collection_name].insert_one({"owner": t.name})
    with pytest.raises(TenantNotFound):
        await manager.purge_tenant(made.tenant.name)  # not deleted: nothing to purge
    await delete(manager, made.email)
    await manager.purge_tenant(made.tenant.name)
    with pytest.raises(TenantNotFound):
        await manager.restore_tenant(made.tenant.name)
    with pytest.raises(TenantNotFound):
        await manager.purge_tenant(made.tenant.name)
    assert [t.id for t in await manager.list_tenants()] == [kept.tenant.id]
    assert db[made.tenant.collection_name].count_documents({}) == 0
    assert db[kept.tenant.collection_name].count_documents({}) == 1
    # Its name and email are free again.
    again = await manager.create_tenant(made.tenant.name, made.email, PASSWORD)
    assert again.id != made.tenant.id
    await manager.aclose()


async def test_past_the_retention_restore_is_refused_and_purge_expired_purges(master_db: str, db: Database[Doc]) -> None:
    manager = await soft(master_db, retention=1)
    expiring, later, kept = await create(manager), await create(manager), await create(manager)
    await delete(manager, expiring.email)
    assert await manager.purge_expired() == 0  # within the retention
    assert (await manager.recover()).purged == 0
    await asyncio.sleep(1.2)
    with pytest.raises(InvalidInput):
        await manager.restore_tenant(expiring.tenant.name)
    assert await manager.purge_expired() == 1
    assert await manager.purge_expired() == 0
    with pytest.raises(TenantNotFound):
        await manager.restore_tenant(expiring.tenant.name)
    # recover() purges too, and reports it.
    await delete(manager, later.email)
    await asyncio.sleep(1.2)
    report = await manager.recover()
    assert report.purged == 1 and report.failed == [], report
    assert report.to_dict()["purged"] == 1 and "purged=1" in repr(report)
    assert [t.id for t in await manager.list_tenants()] == [kept.tenant.id]
    await manager.aclose()


async def test_listing_pages_through_every_tenant_once_and_each_filter_holds(master_db: str) -> None:
    manager = await soft(master_db, clusters=f"east={mongo_uri()}")
    made: list[Tenant] = []
    for i, (prefix, layout, cluster) in enumerate(
        [
            ("Alpha", "collection", None),
            ("Beta", "database", None),
            ("alpha", "shared", None),
            ("Gamma", "collection", "east"),
            ("ALPHA", "shared", "east"),
            ("Beta", "collection", None),
            ("Delta", "shared", None),
        ]
    ):
        name = f"{prefix} {i}"
        made.append(await manager.create_tenant(name, f"a{i}@list.example", PASSWORD, layout=layout, cluster=cluster))
        await asyncio.sleep(0.005)  # creation times apart, for the range filters
    await delete(manager, "a1@list.example")
    await delete(manager, "a4@list.example")
    ids = [t.id for t in made]

    # Paging two at a time: every tenant once, in creation order, deleted ones included.
    first = await manager.list_tenants(limit=2)
    assert isinstance(first, TenantPage) and len(first) == 2 and first.next is not None
    assert first.tenants == list(first)
    assert first == await manager.list_tenants(limit=2) and first != await manager.list_tenants(limit=3)
    assert first.to_dict() == {"tenants": [t.to_dict() for t in first], "next": first.next}
    assert repr(first) == f"TenantPage(tenants=[{made[0].name!r}, {made[1].name!r}], next={first.next!r})"
    assert [t.id for t in await every_page(manager)] == ids
    everything = await manager.list_tenants()  # one page of the default size
    assert [t.id for t in everything] == ids and everything.next is None
    assert [t.id for t in await manager.list_tenants(limit=len(ids))] == ids
    with pytest.raises(TypeError):
        hash(first)

    async def check(expected: list[int], **filters: Any) -> None:
        """The tenants `filters` match are `made[i]` for i in `expected`, paged or counted."""
        want = [ids[i] for i in expected]
        assert [t.id for t in await every_page(manager, **filters)] == want, filters
        assert await manager.count_tenants(**filters) == len(want), filters

    await check(list(range(7)))
    await check([1, 4], state="deleted")
    await check([0, 2, 3, 5, 6], state="active")
    await check([0, 3, 5], layout="collection")
    await check([1], layout="database")
    await check([2, 4, 6], layout="shared")
    await check([3, 4], cluster="east")
    await check([0, 1, 2, 5, 6], cluster=HOME_CLUSTER)
    await check([], cluster="nowhere")
    await check([0, 2, 4], name_prefix="alpha")
    await check([0, 2, 4], name_prefix="  ALPHA ")
    await check([1, 5], name_prefix="Beta")
    await check([2, 4], layout="shared", name_prefix="Alpha")
    await check([4], layout="shared", name_prefix="Alpha", state="deleted")
    await check([2, 3, 4, 5, 6], created_after=made[2].created_at)
    await check([0, 1, 2], created_before=made[3].created_at)
    await check([2, 3], created_after=made[2].created_at, created_before=made[4].created_at)
    # An aware time in any zone names the same instant.
    plus_two = made[3].created_at.astimezone(timezone(timedelta(hours=2)))
    await check([3, 4, 5, 6], created_after=plus_two)
    await check([3], created_after=plus_two, state="active", cluster="east")
    await manager.aclose()


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"state": "gone"}, "state"),
        ({"layout": "flat"}, "layout"),
        ({"cluster": " "}, "cluster"),
        ({"name_prefix": " - "}, "name_prefix"),
        ({"created_after": datetime(2026, 1, 1)}, "created_after"),
        ({"created_before": datetime(2026, 1, 1)}, "created_before"),
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"limit": -1}, "limit"),
        ({"limit": 2**70}, "limit"),
        ({"after": "not a cursor"}, "after"),
    ],
)
async def test_bad_filters_are_invalid_input_naming_the_filter(manager: TenantManager, filters: dict[str, Any], field: str) -> None:
    await create(manager)
    with pytest.raises(InvalidInput) as caught:
        await manager.list_tenants(**filters)
    assert (caught.value.code, caught.value.field) == ("INVALID_INPUT", field), caught.value
    assert isinstance(caught.value, ValueError) and caught.value.reason
    if field not in ("limit", "after"):
        with pytest.raises(InvalidInput) as counted:
            await manager.count_tenants(**filters)
        assert counted.value.field == field


async def test_arguments_of_the_wrong_type_are_type_errors(manager: TenantManager) -> None:
    wrong: list[dict[str, Any]] = [{"limit": "5"}, {"created_after": "2026-01-01T00:00:00Z"}, {"state": 1}]
    for filters in wrong:
        with pytest.raises(TypeError):
            await manager.list_tenants(**filters)
    with pytest.raises(TypeError):
        await manager.count_tenants(limit=5)  # type: ignore[call-arg]


async def test_naive_datetimes_are_refused_not_guessed(manager: TenantManager) -> None:
    made = await create(manager)
    naive = made.tenant.created_at.replace(tzinfo=None)
    with pytest.raises(InvalidInput, match="timezone-aware") as caught:
        await manager.list_tenants(created_after=naive)
    assert caught.value.field == "created_after"
    assert [t.id for t in await manager.list_tenants(created_after=naive.replace(tzinfo=timezone.utc))] == [made.tenant.id]


async def test_the_http_query_and_bodies_are_the_cores(master_db: str) -> None:
    manager = await soft(master_db)
    made = [await create(manager) for _ in range(3)]
    for m in made:
        await delete(manager, m.email)
    survivor = await create(manager)

    kwargs = _http_tenant_query("state=deleted&limit=2&ignored=1")
    assert kwargs == {"state": "deleted", "limit": 2}
    assert glue.tenant_query("state=deleted&limit=2") == kwargs
    page = await manager.list_tenants(**kwargs)
    assert [t.id for t in page] == [m.tenant.id for m in made[:2]]
    body = _http_page_body(page)
    assert body == glue.page_body(page) and list(body) == ["tenants", "next"] and body["next"] == page.next
    for shown, tenant in zip(body["tenants"], page, strict=True):
        assert shown == _http_tenant_body(tenant) == glue.tenant_body(tenant)
        assert shown["organization_id"] == tenant.id and shown["organization_name"] == tenant.name
        assert (shown["state"], shown["layout"], shown["cluster"]) == ("deleted", tenant.layout, tenant.cluster)
        for key in ("created_at", "updated_at", "deleted_at", "purge_after"):
            instant = getattr(tenant, key)
            assert shown[key].endswith("Z") and datetime.fromisoformat(shown[key]) == instant.replace(
                microsecond=instant.microsecond // 1000 * 1000
            ), key
    json.dumps(body)  # plain JSON data
    shown = glue.tenant_body(survivor.tenant)
    assert (shown["state"], shown["deleted_at"], shown["purge_after"]) == ("active", None, None)
    # The cursor round trips through a query string, and so do times.
    rest = await manager.list_tenants(**_http_tenant_query(f"state=deleted&after={body['next']}"))
    assert [t.id for t in rest] == [made[2].tenant.id]
    since = made[1].tenant.created_at
    kwargs = _http_tenant_query("created_after=" + quote(since.isoformat()) + "&name_prefix=Org&layout=collection&cluster=" + HOME_CLUSTER)
    assert kwargs == {"created_after": since, "name_prefix": "Org", "layout": "collection", "cluster": HOME_CLUSTER}
    assert kwargs["created_after"].tzinfo == timezone.utc

    # A query that does not parse: every problem, in the core's order.
    with pytest.raises(InvalidInput) as caught:
        _http_tenant_query("limit=x&state=gone&state=active&created_after=yesterday&layout=flat")
    assert caught.value.field == "state"
    assert [(f, k) for f, _m, k in caught.value.problems or []] == [
        ("state", "value_error"),
        ("layout", "value_error"),
        ("created_after", "value_error"),
        ("limit", "value_error"),
    ]
    with pytest.raises(RequestValidationError) as refused:
        glue.tenant_query("state=gone&limit=x")
    answer = glue.validation_response(refused.value.errors())
    assert answer.status_code == 400
    assert [(e["field"], e["type"]) for e in json.loads(bytes(answer.body))["errors"]] == [("state", "value_error"), ("limit", "value_error")]
    await manager.aclose()


async def test_a_listing_route_answers_from_the_raw_query(master_db: str) -> None:
    manager = await soft(master_db)
    made = [await create(manager) for _ in range(3)]
    app = FastAPI()
    app.state.tenants = manager
    glue.install(app)

    @app.get("/tenants")
    async def listing(request: Request, tenants: glue.Tenants) -> dict[str, Any]:
        return glue.page_body(await tenants.list_tenants(**glue.tenant_query(request.url.query)))

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        names: list[str] = []
        cursor = ""
        while True:
            answer = await client.get(f"/tenants?limit=2{cursor}")
            assert answer.status_code == 200, answer.text
            names += [t["organization_name"] for t in answer.json()["tenants"]]
            if answer.json()["next"] is None:
                break
            cursor = f"&after={answer.json()['next']}"
        assert names == [m.tenant.name for m in made]
        bad = await client.get("/tenants?state=gone&created_before=soon")
        assert bad.status_code == 400
        assert bad.json()["code"] == "INVALID_INPUT" and bad.json()["message"].startswith("state: ")
        assert [e["field"] for e in bad.json()["errors"]] == ["state", "created_before"]
        # What the core checks when the query runs: the usual 400 naming the field.
        too_many = await client.get("/tenants?limit=5000")
        assert (too_many.status_code, too_many.json()["errors"][0]["field"]) == (400, "limit")
    await manager.aclose()
