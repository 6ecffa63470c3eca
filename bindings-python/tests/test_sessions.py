"""Sessions through the binding: ``login_session`` gives a short access token and a refresh
token; ``refresh_session`` rotates it, and a token presented twice ends its whole session;
``sessions``, ``end_session`` and ``end_all_sessions`` list and end an admin's sessions (a
bad id is ``InvalidInput`` on ``session_id``); a suspended tenant's logins and refreshes
raise ``TenantSuspended``; a ``Session``'s repr shows no token; the
``session_access_seconds`` and ``session_refresh_seconds`` settings set the lifetimes; and
the glue answers with the core's bodies."""

from __future__ import annotations

import pickle
import re
from datetime import datetime, timedelta, timezone

import pytest

import tenantry.fastapi as glue
from tenantry import (
    AccessToken,
    ConfigError,
    InvalidCredentials,
    InvalidInput,
    Session,
    SessionInfo,
    TenantManager,
    TenantSuspended,
    Unauthorized,
)

from conftest import PASSWORD, Created, connect, create

HEX_ID = re.compile(r"[0-9a-f]{24}")


def near(when: datetime, seconds: float, slack: float = 30) -> bool:
    """Whether `when` is about `seconds` from now."""
    expected = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    return abs((when - expected).total_seconds()) < slack


async def open_session(manager: TenantManager, made: Created, client: str | None = None) -> Session:
    return await manager.login_session(made.email, made.password, client=client)


async def test_login_session_gives_an_access_token_and_a_refresh_token(manager: TenantManager) -> None:
    made = await create(manager)
    session = await open_session(manager, made, client="192.0.2.7")
    assert isinstance(session, Session) and isinstance(session.access, AccessToken)
    assert HEX_ID.fullmatch(session.session_id)
    assert session.access.token_type == "bearer"
    assert (session.access.tenant_id, session.access.admin_id) == (made.tenant.id, made.tenant.admin_id)
    claims = await manager.verify_token(session.access.access_token)
    assert (claims.tenant_id, claims.tenant_name) == (made.tenant.id, made.tenant.name)
    # The defaults: a 15-minute access token, a session of 30 days.
    assert near(session.access.expires_at, 900) and session.access.expires_at.tzinfo == timezone.utc
    assert near(session.expires_at, 30 * 24 * 3600) and session.expires_at.tzinfo == timezone.utc
    assert isinstance(session.refresh_token, str) and session.refresh_token
    assert session.refresh_token != session.access.access_token
    as_dict = session.to_dict()
    assert as_dict["refresh_token"] == session.refresh_token and as_dict["session_id"] == session.session_id
    assert as_dict["access"] == session.access.to_dict() and as_dict["expires_at"] == session.expires_at
    # A wrong password is refused as by `authenticate`, and opens nothing.
    with pytest.raises(InvalidCredentials):
        await manager.login_session(made.email, "not-the-password")
    assert [s.id for s in await manager.sessions(claims)] == [session.session_id]


async def test_refresh_rotates_and_a_reused_token_ends_the_session(manager: TenantManager) -> None:
    made = await create(manager)
    first = await open_session(manager, made)
    second = await manager.refresh_session(first.refresh_token)
    assert second.session_id == first.session_id, "the same session"
    assert second.refresh_token != first.refresh_token
    assert second.expires_at == first.expires_at, "a refresh keeps the login's end"
    assert (await manager.verify_token(second.access.access_token)).tenant_id == made.tenant.id

    # The first token again: refused, and the whole session with it.
    with pytest.raises(Unauthorized) as reused:
        await manager.refresh_session(first.refresh_token)
    assert reused.value.code == "UNAUTHORIZED" and isinstance(reused.value, PermissionError)
    with pytest.raises(Unauthorized):
        await manager.refresh_session(second.refresh_token)
    claims = await manager.verify_token(second.access.access_token)
    assert await manager.sessions(claims) == []


@pytest.mark.parametrize("token", ["", "garbage", "0" * 24 + "." + "0" * 64, "x.y", "0" * 24 + ".zz"])
async def test_an_unknown_or_malformed_refresh_token_is_unauthorized(manager: TenantManager, token: str) -> None:
    with pytest.raises(Unauthorized) as caught:
        await manager.refresh_session(token)
    assert caught.value.code == "UNAUTHORIZED"


async def test_list_end_and_end_all(manager: TenantManager) -> None:
    made, other = await create(manager), await create(manager)
    older = await open_session(manager, made, client="192.0.2.1")
    newer = await open_session(manager, made)
    theirs = await open_session(manager, other)
    claims = await manager.verify_token(newer.access.access_token)

    listed = await manager.sessions(claims)
    assert all(isinstance(s, SessionInfo) for s in listed)
    assert [s.id for s in listed] == [newer.session_id, older.session_id], "newest first, the admin's only"
    by_id = {s.id: s for s in listed}
    assert (by_id[older.session_id].client, by_id[newer.session_id].client) == ("192.0.2.1", None)
    info = by_id[older.session_id]
    assert info.expires_at == older.expires_at and info.created_at == info.refreshed_at
    assert info.created_at.tzinfo == timezone.utc and near(info.created_at, 0)
    assert info.to_dict() == {
        "id": info.id,
        "created_at": info.created_at,
        "refreshed_at": info.refreshed_at,
        "expires_at": info.expires_at,
        "client": "192.0.2.1",
    }
    assert {info: 1}[next(s for s in await manager.sessions(claims) if s.id == info.id)] == 1

    # A refresh keeps the session's id, client and end, and moves its refreshed_at.
    renewed = await manager.refresh_session(older.refresh_token)
    after = {s.id: s for s in await manager.sessions(claims)}[older.session_id]
    assert (after.client, after.expires_at) == ("192.0.2.1", info.expires_at)
    assert after.refreshed_at >= info.refreshed_at

    # Ending one: its refresh token stops working; the other stays; ending it again, or
    # another admin's session, says False.
    assert await manager.end_session(claims, older.session_id) is True
    assert await manager.end_session(claims, older.session_id) is False
    assert await manager.end_session(claims, theirs.session_id) is False
    with pytest.raises(Unauthorized):
        await manager.refresh_session(renewed.refresh_token)
    assert [s.id for s in await manager.sessions(claims)] == [newer.session_id]

    # Logging out everywhere: every session ends, every access token is revoked.
    assert await manager.end_all_sessions(claims) == 1
    for token in (newer.access.access_token, renewed.access.access_token):
        with pytest.raises(Unauthorized):
            await manager.verify_token(token)
    with pytest.raises(Unauthorized):
        await manager.refresh_session(newer.refresh_token)
    with pytest.raises(Unauthorized):
        await manager.sessions(claims)
    # The other admin's session is untouched.
    assert (await manager.refresh_session(theirs.refresh_token)).session_id == theirs.session_id
    # A new login works, and is the admin's only session.
    again = await open_session(manager, made)
    fresh = await manager.verify_token(again.access.access_token)
    assert [s.id for s in await manager.sessions(fresh)] == [again.session_id]
    assert await manager.end_all_sessions(fresh) == 1


async def test_a_refresh_keeps_the_sessions_creation_time(manager: TenantManager) -> None:
    made = await create(manager)
    session = await open_session(manager, made)
    claims = await manager.verify_token(session.access.access_token)
    (before,) = await manager.sessions(claims)
    await manager.refresh_session(session.refresh_token)
    (after,) = await manager.sessions(claims)
    assert after.created_at == before.created_at < after.refreshed_at


@pytest.mark.parametrize("bad", ["", "not-an-id", "0" * 23, "g" * 24, "0" * 25])
async def test_a_bad_session_id_is_invalid_input(manager: TenantManager, bad: str) -> None:
    made = await create(manager)
    session = await open_session(manager, made)
    claims = await manager.verify_token(session.access.access_token)
    ending = manager.end_session(claims, bad)  # refused when awaited, as every error
    with pytest.raises(InvalidInput) as caught:
        await ending
    assert (caught.value.code, caught.value.field) == ("INVALID_INPUT", "session_id")
    assert [s.id for s in await manager.sessions(claims)] == [session.session_id]


async def test_the_wrong_argument_types_are_type_errors(manager: TenantManager) -> None:
    made = await create(manager)
    session = await open_session(manager, made)
    claims = await manager.verify_token(session.access.access_token)
    with pytest.raises(TypeError):
        manager.end_session(claims, 42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        manager.sessions(session.access.access_token)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        manager.refresh_session(None)  # type: ignore[arg-type]


async def test_a_suspended_tenant_cannot_log_in_or_refresh(manager: TenantManager) -> None:
    made = await create(manager)
    session = await open_session(manager, made)
    await manager.suspend_tenant(made.tenant.name, reason="unpaid invoice")
    with pytest.raises(TenantSuspended) as login:
        await open_session(manager, made)
    assert login.value.code == "TENANT_SUSPENDED"
    with pytest.raises(TenantSuspended) as refresh:
        await manager.refresh_session(session.refresh_token)
    assert refresh.value.code == "TENANT_SUSPENDED" and isinstance(refresh.value, PermissionError)
    # The refused refresh used nothing up: once resumed, the token renews the session.
    await manager.resume_tenant(made.tenant.name)
    renewed = await manager.refresh_session(session.refresh_token)
    assert renewed.session_id == session.session_id


async def test_a_sessions_repr_shows_no_token(manager: TenantManager) -> None:
    made = await create(manager)
    session = await open_session(manager, made)
    for text in (repr(session), str(session)):
        assert session.refresh_token not in text and session.access.access_token not in text
        assert session.refresh_token.split(".")[-1] not in text
        assert session.session_id in text
    # A credential: neither hashable nor picklable; comparable.
    with pytest.raises(TypeError):
        hash(session)
    with pytest.raises(TypeError):
        pickle.dumps(session)
    assert session == session and session != await open_session(manager, made)
    (info,) = [s for s in await manager.sessions(await manager.verify_token(session.access.access_token)) if s.id == session.session_id]
    assert session.session_id in repr(info) and session.refresh_token not in repr(info)


async def test_the_session_settings_set_the_lifetimes(master_db: str) -> None:
    manager = await connect(master_db, session_access_seconds=60, session_refresh_seconds=3600)
    settings = manager.settings
    assert (settings["session_access_seconds"], settings["session_refresh_seconds"]) == (60, 3600)
    made = await create(manager)
    session = await open_session(manager, made)
    assert near(session.access.expires_at, 60, slack=10), session.access.expires_at
    assert near(session.expires_at, 3600, slack=10), session.expires_at
    claims = await manager.verify_token(session.access.access_token)
    assert abs((claims.expires_at - session.access.expires_at).total_seconds()) < 1
    renewed = await manager.refresh_session(session.refresh_token)
    assert near(renewed.access.expires_at, 60, slack=10) and renewed.expires_at == session.expires_at
    # `authenticate` keeps its own lifetime (jwt_expire_minutes, a day).
    assert near((await manager.authenticate(made.email, PASSWORD)).expires_at, 24 * 3600)
    assert 0 < glue.session_body(renewed)["expires_in"] <= 60
    await manager.aclose()


@pytest.mark.parametrize("bad", [{"session_access_seconds": 0}, {"session_refresh_seconds": 0}, {"session_access_seconds": "soon"}])
async def test_bad_session_settings_are_config_errors(master_db: str, bad: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        await connect(master_db, **bad)


async def test_the_glue_answers_with_the_cores_bodies(manager: TenantManager) -> None:
    made = await create(manager)
    session = await open_session(manager, made, client="198.51.100.4")
    body = glue.session_body(session)
    assert set(body) == {
        "access_token", "token_type", "expires_in", "refresh_token", "session_id",
        "session_expires_at", "admin_id", "organization_id", "organization_name",
    }
    assert body["access_token"] == session.access.access_token and body["refresh_token"] == session.refresh_token
    assert (body["token_type"], body["session_id"]) == ("bearer", session.session_id)
    assert (body["admin_id"], body["organization_id"], body["organization_name"]) == (
        made.tenant.admin_id, made.tenant.id, made.tenant.name,
    )
    assert isinstance(body["expires_in"], int) and 890 <= body["expires_in"] <= 900
    assert body["session_expires_at"].endswith("Z")
    assert datetime.fromisoformat(body["session_expires_at"]) == session.expires_at.replace(
        microsecond=session.expires_at.microsecond // 1000 * 1000
    )

    claims = await manager.verify_token(session.access.access_token)
    listed = await manager.sessions(claims)
    (entry,) = glue.sessions_body(listed)["sessions"]
    assert set(entry) == {"session_id", "created_at", "refreshed_at", "expires_at", "client"}
    assert (entry["session_id"], entry["client"]) == (session.session_id, "198.51.100.4")
    assert all(entry[k].endswith("Z") for k in ("created_at", "refreshed_at", "expires_at"))
    assert glue.sessions_body([]) == {"sessions": []}
