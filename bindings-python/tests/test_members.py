"""Members, roles and invitations through the binding: ``invite_member`` shows the token
once (not in its ``repr``, not in the database), ``accept_invitation`` makes a member who
logs in like any (``Claims.role``), ``members``, ``set_member_role`` and ``remove_member``
manage them under the roles' rules (``Forbidden``), the last owner is never removed or
demoted (``LastOwner``, also when two owners demote each other at once), an invitation
works once (of two racing accepts exactly one joins), a login names the tenant of an email
that is a member of several; and the FastAPI glue reads the bodies and admits tokens by
role."""

from __future__ import annotations

import asyncio
import json
import pickle
import re
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any

import httpx
import pytest
from bson import ObjectId
from fastapi import Depends, FastAPI
from fastapi.exceptions import RequestValidationError
from pymongo.database import Database

import tenantry.fastapi as glue
from tenantry import (
    Claims,
    Forbidden,
    InvalidCredentials,
    InvalidInput,
    Invitation,
    InvitationInfo,
    LastOwner,
    Member,
    TenantAlreadyExists,
    TenantManager,
    TenantSuspended,
    Unauthorized,
    exceptions,
)

from conftest import PASSWORD, Created, Doc, create, unique

HEX_ID = re.compile(r"[0-9a-f]{24}")
#: Module level: FastAPI resolves a route's annotations by name.
AdminOnly = Annotated[Claims, Depends(glue.require_role("admin"))]
OwnerOnly = Annotated[Claims, Depends(glue.require_role("owner"))]
AnyMember = Annotated[Claims, Depends(glue.require_role("member"))]


def near(when: datetime, seconds: float = 0, slack: float = 30) -> bool:
    """Whether `when` is about `seconds` from now."""
    expected = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    return abs((when - expected).total_seconds()) < slack


def email_of(role: str) -> str:
    return f"{role}-{ObjectId()}@members.example"


async def claims_of(manager: TenantManager, email: str, password: str = PASSWORD, tenant: str | None = None) -> Claims:
    token = await manager.authenticate(email, password, organization_name=tenant)
    return await manager.verify_token(token.access_token)


async def owner_of(manager: TenantManager) -> tuple[Created, Claims]:
    """A fresh tenant and its first admin's claims (an owner's)."""
    made = await create(manager)
    return made, await claims_of(manager, made.email)


async def join(manager: TenantManager, by: Claims, role: str, email: str | None = None) -> tuple[Member, Claims]:
    """A member invited by `by` with `role`, joined, and its claims."""
    email = email or email_of(role)
    invitation = await manager.invite_member(by, email, role)
    member = await manager.accept_invitation(invitation.token, PASSWORD)
    return member, await claims_of(manager, email, tenant=by.tenant_name)


async def role_in_claims(manager: TenantManager, token: str, role: str | None) -> Claims:
    """The claims of `token` once they carry `role` (the cache hears the change from its
    change stream, within moments)."""
    for _ in range(50):
        claims = await manager.verify_token(token)
        if claims.role == role:
            return claims
        await asyncio.sleep(0.1)
    raise AssertionError(f"the token's claims never said {role!r}")


async def test_invite_accept_and_list(manager: TenantManager, db: Database[Doc]) -> None:
    made, owner = await owner_of(manager)
    invitation = await manager.invite_member(owner, "  New.Member@Members.Example ", "admin")
    assert isinstance(invitation, Invitation) and isinstance(invitation.info, InvitationInfo)
    info = invitation.info
    assert HEX_ID.fullmatch(info.id) and info.prefix == f"tni_{info.id}"
    assert invitation.token.startswith(f"{info.prefix}_") and len(invitation.token) > len(info.prefix) + 32
    assert (info.email, info.role, info.invited_by) == ("New.Member@Members.Example", "admin", owner.admin_id)
    assert info.created_at.tzinfo == timezone.utc and near(info.created_at)
    assert near(info.expires_at, 7 * 86400), "7 days unless told otherwise"

    # The token is in the answer, and nowhere else: not in a repr, not in the database.
    secret = invitation.token.rsplit("_", 1)[1]
    for text in (repr(invitation), str(invitation), repr(info), repr(await manager.invitations(owner))):
        assert secret not in text
    assert repr(invitation).startswith(f"Invitation(token='{info.prefix}_***', info=InvitationInfo(")
    (stored,) = list(db.tenant_invitations.find())
    assert secret not in repr(stored) and stored["_id"] == ObjectId(info.id) and stored["tenant"] == ObjectId(made.tenant.id)
    # A credential: comparable, neither hashable nor picklable; its info is hashable data.
    with pytest.raises(TypeError):
        hash(invitation)
    with pytest.raises(TypeError):
        pickle.dumps(invitation)
    assert invitation == invitation and invitation.to_dict() == {"token": invitation.token, "info": info.to_dict()}
    assert info.to_dict() == {
        "id": info.id,
        "prefix": info.prefix,
        "email": info.email,
        "role": "admin",
        "invited_by": owner.admin_id,
        "created_at": info.created_at,
        "expires_at": info.expires_at,
    }
    assert {info: 1}[(await manager.invitations(owner))[0]] == 1
    with pytest.raises(TypeError):
        pickle.dumps(info)

    # Accepted: a member, who logs in like any; the invitation is no longer pending.
    member = await manager.accept_invitation(invitation.token, "another good password")
    assert isinstance(member, Member)
    assert (member.email, member.role, member.first_admin) == ("New.Member@Members.Example", "admin", False)
    assert HEX_ID.fullmatch(member.id) and member.created_at.tzinfo == timezone.utc and near(member.created_at)
    assert await manager.invitations(owner) == []
    claims = await claims_of(manager, "new.member@members.example", "another good password")
    assert (claims.admin_id, claims.tenant_id, claims.role) == (member.id, made.tenant.id, "admin")

    # Listed: the first admin first, then the others as they joined.
    joined, _ = await join(manager, owner, "member")
    members = await manager.members(owner)
    assert [m.id for m in members] == [made.tenant.admin_id, member.id, joined.id]
    first = members[0]
    assert (first.email, first.role, first.first_admin) == (made.email, "owner", True)
    assert members[1] == member and {member: 1}[members[1]] == 1
    assert member.to_dict() == {
        "id": member.id,
        "email": member.email,
        "role": "admin",
        "first_admin": False,
        "created_at": member.created_at,
    }
    assert repr(member).startswith(
        f"Member(id='{member.id}', email='New.Member@Members.Example', role='admin', first_admin=False, created_at='"
    )
    with pytest.raises(TypeError):
        pickle.dumps(member)
    # Every member lists them; another tenant's members are not there.
    member_claims = await claims_of(manager, joined.email, tenant=made.tenant.name)
    assert await manager.members(member_claims) == members
    other, other_owner = await owner_of(manager)
    assert [m.id for m in await manager.members(other_owner)] == [other.tenant.admin_id]


async def test_an_invitation_expires_is_revocable_and_works_once(manager: TenantManager) -> None:
    made, owner = await owner_of(manager)
    soon = datetime.now(timezone(timedelta(hours=-3))) + timedelta(hours=2)
    invitation = await manager.invite_member(owner, email_of("member"), "member", expires_at=soon)
    assert abs((invitation.info.expires_at - soon).total_seconds()) < 0.001
    assert invitation.info.expires_at.tzinfo == timezone.utc

    # A past expiry, one too far, a naive datetime: refused, when awaited.
    for at in (
        datetime.now(timezone.utc) - timedelta(seconds=1),
        datetime.now(timezone.utc) + timedelta(days=31),
        datetime.now() + timedelta(hours=1),
    ):
        inviting = manager.invite_member(owner, email_of("late"), "member", expires_at=at)
        with pytest.raises(InvalidInput) as caught:
            await inviting
        assert (caught.value.code, caught.value.field) == ("INVALID_INPUT", "expires_at")

    # Revoked: it stops working; once.
    revoked = await manager.invite_member(owner, email_of("member"), "member")
    assert [i.id for i in await manager.invitations(owner)] == [invitation.info.id, revoked.info.id]
    assert await manager.revoke_invitation(owner, revoked.info.id) is True
    assert await manager.revoke_invitation(owner, revoked.info.id) is False
    assert await manager.revoke_invitation(owner, "0" * 24) is False
    with pytest.raises(Unauthorized):
        await manager.accept_invitation(revoked.token, PASSWORD)
    # Another tenant's owner revokes nothing of this one.
    _, other_owner = await owner_of(manager)
    assert await manager.revoke_invitation(other_owner, invitation.info.id) is False

    # Used: it works once; forged and malformed tokens are refused alike.
    member = await manager.accept_invitation(invitation.token, PASSWORD)
    assert member.role == "member"
    prefix, secret = invitation.token.rsplit("_", 1)
    for bad in (invitation.token, f"{prefix}_{'0' * len(secret)}", invitation.token[:-1], prefix, "tni_", "", "tnk_x_y"):
        with pytest.raises(Unauthorized) as refused:
            await manager.accept_invitation(bad, PASSWORD)
        assert refused.value.code == "UNAUTHORIZED", bad

    # A weak password is refused before the invitation is used.
    weak = await manager.invite_member(owner, email_of("weak"), "member")
    with pytest.raises(InvalidInput) as weak_caught:
        await manager.accept_invitation(weak.token, "short")
    assert weak_caught.value.field == "password"
    assert (await manager.accept_invitation(weak.token, PASSWORD)).role == "member"

    # A member's email cannot be invited again, the first admin's neither.
    for email in (member.email, made.email.upper()):
        with pytest.raises(TenantAlreadyExists) as taken:
            await manager.invite_member(owner, email, "member")
        assert taken.value.field == "email"


async def test_an_invitation_accepted_twice_at_once_lets_exactly_one_join(manager: TenantManager) -> None:
    made, owner = await owner_of(manager)
    for _ in range(3):
        invitation = await manager.invite_member(owner, email_of("racer"), "member")
        # Both calls are under way before either is awaited.
        outcomes = await asyncio.gather(
            manager.accept_invitation(invitation.token, "first-password-1"),
            manager.accept_invitation(invitation.token, "second-password-2"),
            return_exceptions=True,
        )
        joined = [o for o in outcomes if isinstance(o, Member)]
        refused = [o for o in outcomes if isinstance(o, BaseException)]
        assert len(joined) == 1 and len(refused) == 1, outcomes
        # The loser is told the invitation is used, whenever it lost.
        assert isinstance(refused[0], Unauthorized), refused
        members = [m for m in await manager.members(owner) if m.email == invitation.info.email]
        assert members == joined, "one member of the email: the winner"
        password = "first-password-1" if outcomes[0] is joined[0] else "second-password-2"
        assert (await claims_of(manager, invitation.info.email, password)).admin_id == joined[0].id
        with pytest.raises(Unauthorized):
            await manager.accept_invitation(invitation.token, "third-password-3")


async def test_role_changes_and_removal_follow_the_roles(manager: TenantManager) -> None:
    made, owner = await owner_of(manager)
    admin_member, admin = await join(manager, owner, "admin")
    plain_member, plain = await join(manager, owner, "member")
    other_member, _ = await join(manager, owner, "member")
    assert (owner.role, admin.role, plain.role) == ("owner", "admin", "member")

    # A member manages nobody, sees no invitation, makes no API key.
    for call in (
        manager.set_member_role(plain, other_member.id, "admin"),
        manager.remove_member(plain, other_member.id),
        manager.invite_member(plain, email_of("x"), "member"),
        manager.invitations(plain),
        manager.create_api_key(plain, "k", ["x"]),
        manager.rename_tenant(plain, unique()),
        manager.delete_tenant(plain),
    ):
        with pytest.raises(Forbidden) as caught:
            await call
        assert caught.value.code == "FORBIDDEN" and isinstance(caught.value, PermissionError)

    # An admin manages members and admins, but no owner, and neither renames nor deletes.
    changed = await manager.set_member_role(admin, plain_member.id, "admin")
    assert changed is not None and (changed.id, changed.role) == (plain_member.id, "admin")
    for call in (
        manager.set_member_role(admin, plain_member.id, "owner"),
        manager.set_member_role(admin, made.tenant.admin_id, "member"),
        manager.remove_member(admin, made.tenant.admin_id),
        manager.invite_member(admin, email_of("owner"), "owner"),
        manager.rename_tenant(admin, unique()),
        manager.delete_tenant(admin),
    ):
        with pytest.raises(Forbidden):
            await call
    assert await manager.set_member_role(admin, plain_member.id, "member") is not None
    assert await manager.remove_member(admin, other_member.id) is True
    assert await manager.remove_member(admin, other_member.id) is False, "once"
    assert await manager.set_member_role(admin, other_member.id, "admin") is None, "no such member"
    assert await manager.set_member_role(owner, "0" * 24, "admin") is None
    # Another tenant's owner touches nobody here.
    _, stranger = await owner_of(manager)
    assert await manager.set_member_role(stranger, plain_member.id, "owner") is None
    assert await manager.remove_member(stranger, plain_member.id) is False

    # The claims say the role the member has now (the core checks it fresh, the cache
    # hears of it within moments); a removed member's tokens stop verifying.
    token = (await manager.authenticate(plain_member.email, PASSWORD, organization_name=made.tenant.name)).access_token
    assert (await manager.set_member_role(owner, plain_member.id, "owner")) is not None
    assert (await role_in_claims(manager, token, "owner")).role == "owner"
    assert await manager.remove_member(owner, plain_member.id) is True
    with pytest.raises(Unauthorized):
        await manager.members(plain)
    with pytest.raises(InvalidCredentials):
        await manager.authenticate(plain_member.email, PASSWORD)
    # The first admin is never removed, only demoted (another owner remains: the admin, made one).
    assert await manager.set_member_role(owner, admin_member.id, "owner") is not None
    with pytest.raises(Forbidden):
        await manager.remove_member(owner, made.tenant.admin_id)
    demoted = await manager.set_member_role(owner, made.tenant.admin_id, "member")
    assert demoted is not None and (demoted.role, demoted.first_admin) == ("member", True)


async def test_the_last_owner_is_never_removed_or_demoted(manager: TenantManager) -> None:
    made, owner = await owner_of(manager)
    with pytest.raises(LastOwner) as caught:
        await manager.set_member_role(owner, made.tenant.admin_id, "admin")
    err = caught.value
    assert (err.code, err.field) == ("LAST_OWNER", None) and err.reason
    assert isinstance(err, exceptions.TenantryError) and isinstance(err, ValueError)
    assert [m.role for m in await manager.members(owner)] == ["owner"]

    # A second owner, removed: the first is the last again.
    second, second_claims = await join(manager, owner, "owner")
    assert await manager.remove_member(owner, second.id) is True
    with pytest.raises(LastOwner):
        await manager.set_member_role(owner, made.tenant.admin_id, "member")
    # The same owner set to its own role is no change.
    same = await manager.set_member_role(owner, made.tenant.admin_id, "owner")
    assert same is not None and same.role == "owner"

    # A joined owner who is the last one is not removed either.
    third, third_claims = await join(manager, owner, "owner")
    assert await manager.set_member_role(third_claims, made.tenant.admin_id, "admin") is not None
    with pytest.raises(LastOwner):
        await manager.remove_member(third_claims, third.id)
    with pytest.raises(LastOwner):
        await manager.set_member_role(third_claims, third.id, "member")
    roles = {m.id: m.role for m in await manager.members(third_claims)}
    assert roles == {made.tenant.admin_id: "admin", third.id: "owner"}


async def test_two_owners_demoting_each_other_at_once_leave_one_owner(manager: TenantManager) -> None:
    # Rounds until both calls overlapped (most do): then one is refused with LastOwner.
    # One that starts after the other ended is refused with Forbidden instead (it is no
    # owner any more, and an admin or a member may not change an owner).
    overlapped = False
    for _ in range(8):
        made, first = await owner_of(manager)
        second_member, second = await join(manager, first, "owner")
        # Both calls are under way before either is awaited.
        outcomes = await asyncio.gather(
            manager.set_member_role(first, second_member.id, "member"),
            manager.set_member_role(second, made.tenant.admin_id, "member"),
            return_exceptions=True,
        )
        demoted = [o for o in outcomes if isinstance(o, Member)]
        refused = [o for o in outcomes if isinstance(o, BaseException)]
        assert len(demoted) == 1 and len(refused) == 1, outcomes
        assert type(refused[0]) in (LastOwner, Forbidden), refused
        winner = first if demoted[0].id == second_member.id else second
        owners = [m for m in await manager.members(winner) if m.role == "owner"]
        assert [m.id for m in owners] == [winner.admin_id], owners
        # The one left is the last owner from then on.
        with pytest.raises(LastOwner):
            await manager.set_member_role(winner, winner.admin_id, "admin")
        if isinstance(refused[0], LastOwner):
            overlapped = True
            break
    assert overlapped, "the two demotions never overlapped"


async def test_a_login_names_the_tenant_of_an_email_in_several(manager: TenantManager) -> None:
    first, first_owner = await owner_of(manager)
    second, second_owner = await owner_of(manager)
    # The first tenant's admin joins the second with the same password.
    invitation = await manager.invite_member(second_owner, first.email, "member")
    joined = await manager.accept_invitation(invitation.token, PASSWORD)

    # Its password opens both: it must name one.
    for login in (manager.authenticate, manager.login_session):
        with pytest.raises(InvalidInput) as caught:
            await login(first.email, PASSWORD)
        assert (caught.value.code, caught.value.field) == ("INVALID_INPUT", "organization_name")
    token = await manager.authenticate(first.email, PASSWORD, organization_name=second.tenant.name.upper())
    assert (token.tenant_id, token.admin_id, token.tenant_name) == (second.tenant.id, joined.id, second.tenant.name)
    claims = await manager.verify_token(token.access_token)
    assert (claims.role, claims.tenant_id) == ("member", second.tenant.id)
    session = await manager.login_session(first.email, PASSWORD, organization_name=first.tenant.name, client="10.0.0.1")
    assert (session.access.tenant_id, session.access.admin_id) == (first.tenant.id, first.tenant.admin_id)
    assert (await manager.verify_token(session.access.access_token)).role == "owner"
    # A tenant it is no member of, or none by the name: the usual refusal.
    stranger, _ = await owner_of(manager)
    for name in (stranger.tenant.name, "No Such Org", ""):
        with pytest.raises(InvalidCredentials):
            await manager.authenticate(first.email, PASSWORD, organization_name=name)
    with pytest.raises(InvalidCredentials):
        await manager.authenticate(first.email, "wrong password!", organization_name=first.tenant.name)

    # With another password in the second tenant, each password opens its own.
    other = await owner_of(manager)
    third = await manager.invite_member(other[1], first.email, "admin")
    await manager.accept_invitation(third.token, "a different password")
    alone = await manager.authenticate(first.email, "a different password")
    assert alone.tenant_id == other[0].tenant.id
    # Naming the tenant is unchanged for a single account.
    solo, _ = await owner_of(manager)
    assert (await manager.authenticate(solo.email, PASSWORD, organization_name=None)).tenant_id == solo.tenant.id
    assert (await manager.authenticate(solo.email, PASSWORD, organization_name=solo.tenant.name)).tenant_id == solo.tenant.id


async def test_claims_carry_the_role(manager: TenantManager) -> None:
    made, owner = await owner_of(manager)
    assert owner.role == "owner" and owner.to_dict()["role"] == "owner"
    assert "role='owner'" in repr(owner)
    _, admin = await join(manager, owner, "admin")
    assert admin.role == "admin" and "role='admin'" in repr(admin)
    # None after a decode (no database), and for an API key's claims.
    token = (await manager.authenticate(made.email, PASSWORD)).access_token
    decoded = manager.decode_token(token)
    assert decoded.role is None and decoded.to_dict()["role"] is None and "role=" not in repr(decoded)
    key = await manager.create_api_key(admin, "ci", ["x"])
    key_claims = await manager.verify_api_key(key.key)
    assert key_claims.role is None and "role=" not in repr(key_claims)
    # An API key's claims manage no member.
    for call in (
        manager.members(key_claims),
        manager.set_member_role(key_claims, made.tenant.admin_id, "admin"),
        manager.remove_member(key_claims, made.tenant.admin_id),
        manager.invite_member(key_claims, email_of("k"), "member"),
        manager.invitations(key_claims),
        manager.revoke_invitation(key_claims, "0" * 24),
    ):
        with pytest.raises(Forbidden):
            await call


@pytest.mark.parametrize("bad", ["Owner", "ADMIN", "", "guest", " member"])
async def test_a_bad_role_is_invalid_input(manager: TenantManager, bad: str) -> None:
    made, owner = await owner_of(manager)
    member, _ = await join(manager, owner, "member")
    for call in (manager.set_member_role(owner, member.id, bad), manager.invite_member(owner, email_of("x"), bad)):
        with pytest.raises(InvalidInput) as caught:
            await call  # refused when awaited, as every error
        assert (caught.value.code, caught.value.field) == ("INVALID_INPUT", "role")
    assert await manager.invitations(owner) == []
    assert (await manager.members(owner))[1].role == "member"


@pytest.mark.parametrize("bad", ["", "not-an-id", "0" * 23, "g" * 24, "0" * 25, "tni_" + "0" * 24])
async def test_a_bad_id_is_invalid_input(manager: TenantManager, bad: str) -> None:
    made, owner = await owner_of(manager)
    for call, field in (
        (manager.set_member_role(owner, bad, "admin"), "member_id"),
        (manager.remove_member(owner, bad), "member_id"),
        (manager.revoke_invitation(owner, bad), "invitation_id"),
    ):
        with pytest.raises(InvalidInput) as caught:
            await call
        assert (caught.value.code, caught.value.field) == ("INVALID_INPUT", field)
    with pytest.raises(TypeError):
        manager.set_member_role(owner, made.tenant.admin_id, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        manager.invite_member(owner, "a@b.example", "member", expires_at="2030-01-01T00:00:00Z")  # type: ignore[arg-type]
    positional: list[Any] = [owner, "a@b.example", "member", None]
    with pytest.raises(TypeError):
        manager.invite_member(*positional)  # expires_at is keyword-only
    with pytest.raises(TypeError):
        manager.members("token")  # type: ignore[arg-type]


async def test_a_suspended_tenant_takes_no_new_member(manager: TenantManager) -> None:
    made, owner = await owner_of(manager)
    invitation = await manager.invite_member(owner, email_of("member"), "member")
    await manager.suspend_tenant(made.tenant.name)
    with pytest.raises(TenantSuspended):
        await manager.accept_invitation(invitation.token, PASSWORD)
    await manager.resume_tenant(made.tenant.name)
    assert (await manager.accept_invitation(invitation.token, PASSWORD)).role == "member"


async def test_the_glue_answers_with_the_cores_bodies(manager: TenantManager) -> None:
    made, owner = await owner_of(manager)
    invitation = await manager.invite_member(owner, "Body@Members.Example", "admin")
    created = glue.created_invitation_body(invitation)
    listed = glue.invitation_body(invitation.info)
    assert created == {**listed, "token": invitation.token}
    assert set(listed) == {"id", "prefix", "email", "role", "invited_by", "created_at", "expires_at"}
    assert (listed["id"], listed["prefix"], listed["email"], listed["role"], listed["invited_by"]) == (
        invitation.info.id,
        invitation.info.prefix,
        "Body@Members.Example",
        "admin",
        owner.admin_id,
    )
    assert listed["created_at"].endswith("Z") and listed["expires_at"].endswith("Z")
    assert glue.invitations_body(await manager.invitations(owner)) == {"invitations": [listed]}
    assert glue.invitations_body([]) == {"invitations": []}

    member = await manager.accept_invitation(invitation.token, PASSWORD)
    body = glue.member_body(member)
    assert body == {"id": member.id, "email": "Body@Members.Example", "role": "admin", "first_admin": False, "created_at": body["created_at"]}
    assert body["created_at"].endswith("Z")
    members = await manager.members(owner)
    assert glue.members_body(members) == {"members": [glue.member_body(m) for m in members]}
    assert glue.members_body(members)["members"][0]["first_admin"] is True

    assert glue.claims_body(owner)["role"] == "owner"
    key = await manager.create_api_key(owner, "ci", ["x"])
    assert glue.claims_body(await manager.verify_api_key(key.key))["role"] is None

    # LAST_OWNER's answer, from the table.
    with pytest.raises(LastOwner) as caught:
        await manager.set_member_role(owner, made.tenant.admin_id, "member")
    answer = glue.error_response(caught.value)
    assert (answer.status_code, json.loads(bytes(answer.body))) == (
        409,
        {"detail": "The organization's last owner cannot be removed or demoted", "code": "LAST_OWNER"},
    )


def problems(read: Any, body: bytes) -> list[tuple[str, str]]:
    """The (field, kind) of every problem the glue's `read` finds in a body."""
    with pytest.raises(RequestValidationError) as caught:
        read(body)
    errors = caught.value.errors()
    assert all(e["loc"][0] == "body" and e["msg"] for e in errors)
    return [(e["loc"][1], e["type"]) for e in errors]


def test_the_glue_reads_the_bodies_as_the_core_does() -> None:
    for role in ("owner", "admin", "member"):
        assert glue.member_role(json.dumps({"role": role, "other": 1}).encode()) == role
    assert problems(glue.member_role, b"{}") == [("role", "missing")]
    assert problems(glue.member_role, b'{"role": 1}') == [("role", "type_error")]
    assert problems(glue.member_role, b'{"role": "Owner"}') == [("role", "value_error")]
    assert problems(glue.member_role, b'{"role": null}') == [("role", "type_error")]
    assert problems(glue.member_role, b"[]") == [("body", "type_error")]
    assert problems(glue.member_role, b"") == [("body", "json_invalid")]

    assert glue.new_invitation(b'{"email": "a@b.example", "role": "member"}') == {
        "email": "a@b.example",
        "role": "member",
        "expires_at": None,
    }
    read = glue.new_invitation(b'{"email": " x ", "role": "owner", "expires_at": "2030-01-02T03:04:05.678+02:00"}')
    assert read == {"email": " x ", "role": "owner", "expires_at": datetime(2030, 1, 2, 1, 4, 5, 678000, tzinfo=timezone.utc)}
    assert glue.new_invitation(b'{"email": "", "role": "admin", "expires_at": null}')["expires_at"] is None
    assert problems(glue.new_invitation, b"{}") == [("email", "missing"), ("role", "missing")]
    assert problems(glue.new_invitation, b'{"email": 1, "role": "member", "expires_at": 5}') == [
        ("email", "type_error"),
        ("expires_at", "type_error"),
    ]
    assert problems(glue.new_invitation, b'{"email": "a@b.example", "role": "guest", "expires_at": "soon"}') == [
        ("role", "value_error"),
        ("expires_at", "value_error"),
    ]
    assert problems(glue.new_invitation, b"{") == [("body", "json_invalid")]

    assert glue.accepted_invitation(b'{"token": "tni_x", "password": "p"}') == ("tni_x", "p")
    assert problems(glue.accepted_invitation, b"{}") == [("token", "missing"), ("password", "missing")]
    assert problems(glue.accepted_invitation, b'{"token": null, "password": 5}') == [("token", "type_error"), ("password", "type_error")]
    assert problems(glue.accepted_invitation, b"\xff") == [("body", "json_invalid")]


def bearer(credential: str) -> dict[str, str]:
    return {"authorization": f"Bearer {credential}"}


def app_of(manager: TenantManager) -> FastAPI:
    app = FastAPI()
    app.state.tenants = manager
    glue.install(app)

    @app.get("/reports")
    async def reports(claims: AnyMember) -> dict[str, Any]:
        return {"role": claims.role}

    @app.post("/billing")
    async def billing(claims: AdminOnly) -> dict[str, Any]:
        return {"role": claims.role}

    @app.delete("/everything")
    async def everything(claims: OwnerOnly) -> dict[str, Any]:
        return {"role": claims.role}

    return app


async def test_the_glue_admits_tokens_by_role(manager: TenantManager) -> None:
    made, owner = await owner_of(manager)
    admin_member, _ = await join(manager, owner, "admin")
    plain_member, _ = await join(manager, owner, "member")
    key = await manager.create_api_key(owner, "ci", ["x"])

    async def token(email: str) -> str:
        return (await manager.authenticate(email, PASSWORD, organization_name=made.tenant.name)).access_token

    tokens = {"owner": await token(made.email), "admin": await token(admin_member.email), "member": await token(plain_member.email)}
    forbidden = (403, {"detail": "Not authorized to act on this organization", "code": "FORBIDDEN"})
    transport = httpx.ASGITransport(app=app_of(manager))
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        for role, bearer_token in tokens.items():
            r = await client.get("/reports", headers=bearer(bearer_token))
            assert (r.status_code, r.json()) == (200, {"role": role})
            r = await client.post("/billing", headers=bearer(bearer_token))
            expected = (200, {"role": role}) if role != "member" else forbidden
            assert (r.status_code, r.json()) == expected, role
            r = await client.delete("/everything", headers=bearer(bearer_token))
            assert (r.status_code, r.json()) == ((200, {"role": role}) if role == "owner" else forbidden), role
        # An API key has no role: refused everywhere a role is needed.
        for method, path in (("GET", "/reports"), ("POST", "/billing"), ("DELETE", "/everything")):
            r = await client.request(method, path, headers=bearer(key.key))
            assert (r.status_code, r.json()) == forbidden, path
        # No credential, or a bad one: 401.
        for headers in ({}, bearer("nope")):
            r = await client.get("/reports", headers=headers)
            assert (r.status_code, r.json()["code"]) == (401, "UNAUTHORIZED")


def test_require_role_needs_a_role() -> None:
    for bad in ("", "Owner", "guest"):
        with pytest.raises(InvalidInput) as caught:
            glue.require_role(bad)
        assert caught.value.field == "role" and isinstance(caught.value, ValueError)
    with pytest.raises(TypeError):
        glue.require_role()  # type: ignore[call-arg]
    assert glue.ROLES == ("member", "admin", "owner")
