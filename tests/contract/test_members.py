"""The members extension (tag "members"): an organization's members and their roles
(`GET /admin/members`, `PATCH` and `DELETE /admin/members/{member_id}`), invitations
(`POST` and `GET /admin/invitations`, `DELETE /admin/invitations/{invitation_id}`,
`POST /auth/accept-invitation`), and logins that name the organization (an optional
`organization_name` on `POST /admin/login` and `POST /auth/login`).

Roles: `owner` (everything), `admin` (members but owners, invitations, API keys), `member`
(the data, its own sessions). The first admin is an owner unless demoted and cannot be
removed; the last owner cannot be demoted nor removed (409 `LAST_OWNER`). An invitation
(`tni_<id>_<secret>`, shown once) works once. Only HTTP and the database are used here: the
suite runs against the three servers."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from bson import ObjectId, json_util

from conftest import PASSWORD, email_for, unique
from test_api_keys import json_schema, properties, resolve
from test_contract import assert_other_methods_are_405, assert_validation_error, bearer, parse_time

MEMBER_KEYS = {"id", "email", "role", "first_admin", "created_at"}
INVITATION_KEYS = {"id", "prefix", "email", "role", "invited_by", "created_at", "expires_at"}
CREATED_INVITATION_KEYS = INVITATION_KEYS | {"token"}
LOGIN_KEYS = {"access_token", "token_type", "admin_id", "organization_id", "organization_name"}
#: The error table's answers.
FORBIDDEN = {"detail": "Not authorized to act on this organization", "code": "FORBIDDEN"}
LAST_OWNER = {"detail": "The organization's last owner cannot be removed or demoted", "code": "LAST_OWNER"}
UNAUTHORIZED = {"detail": "Could not validate credentials", "code": "UNAUTHORIZED"}
INVALID_CREDENTIALS = {"detail": "Invalid email or password", "code": "INVALID_CREDENTIALS"}
NOT_FOUND = {"detail": "Not Found", "code": "NOT_FOUND"}
EMAIL_TAKEN = {"detail": "Email already registered", "code": "TENANT_ALREADY_EXISTS", "field": "email"}
ROLES = ["owner", "admin", "member"]
OTHER_PASSWORD = "another-password-456"

#: Each path of the extension with the methods it takes.
ROUTES = [
    ("/admin/members", ["get"]),
    (f"/admin/members/{ObjectId()}", ["patch", "delete"]),
    ("/admin/invitations", ["get", "post"]),
    (f"/admin/invitations/{ObjectId()}", ["delete"]),
    ("/auth/accept-invitation", ["post"]),
]


class Member:
    """A member of an organization, logged in with `POST /admin/login`."""

    def __init__(self, client: httpx.Client, email: str, password: str = PASSWORD,
                 organization_name: str | None = None):
        self.email, self.password = email, password
        body = {"email": email, "password": password}
        if organization_name is not None:
            body["organization_name"] = organization_name
        r = client.post("/admin/login", json=body)
        assert r.status_code == 200, r.text
        login = r.json()
        self.token: str = login["access_token"]
        self.id: str = login["admin_id"]
        self.organization_id: str = login["organization_id"]
        self.headers = bearer(self.token)


class Org:
    """An organization and its owner (its first admin), who invites the others."""

    def __init__(self, client: httpx.Client, prefix: str = "Team"):
        self.client = client
        self.name = unique(prefix)
        self.owner_email = email_for(self.name)
        r = client.post("/org/create", json={"organization_name": self.name, "email": self.owner_email,
                                             "password": PASSWORD})
        assert r.status_code == 201, r.text
        self.owner = Member(client, self.owner_email)

    def invite(self, role: str, email: str | None = None, by: Member | None = None) -> dict[str, Any]:
        """`POST /admin/invitations` that must succeed: its answer."""
        email = email or email_for(self.name)
        r = self.client.post("/admin/invitations", json={"email": email, "role": role},
                             headers=(by or self.owner).headers)
        assert r.status_code == 201, r.text
        made: dict[str, Any] = r.json()
        return made

    def join(self, role: str, email: str | None = None, password: str = PASSWORD) -> Member:
        """A new member with `role`, invited by the owner, accepted and logged in."""
        invitation = self.invite(role, email)
        r = accept(self.client, invitation["token"], password)
        assert r.status_code == 201, r.text
        assert r.json()["role"] == role
        return Member(self.client, invitation["email"], password, self.name)

    def members(self, by: Member | None = None) -> list[dict[str, Any]]:
        r = self.client.get("/admin/members", headers=(by or self.owner).headers)
        assert r.status_code == 200, r.text
        assert set(r.json()) == {"members"}, r.json()
        found: list[dict[str, Any]] = r.json()["members"]
        return found

    def invitations(self, by: Member | None = None) -> list[dict[str, Any]]:
        r = self.client.get("/admin/invitations", headers=(by or self.owner).headers)
        assert r.status_code == 200, r.text
        assert set(r.json()) == {"invitations"}, r.json()
        found: list[dict[str, Any]] = r.json()["invitations"]
        return found

    def roles(self) -> dict[str, str]:
        """Each member's role, by id."""
        return {m["id"]: m["role"] for m in self.members()}


def accept(client: httpx.Client, token: Any, password: Any = PASSWORD) -> httpx.Response:
    return client.post("/auth/accept-invitation", json={"token": token, "password": password})


def set_role(client: httpx.Client, by: Member, member_id: str, role: Any) -> httpx.Response:
    return client.patch(f"/admin/members/{member_id}", json={"role": role}, headers=by.headers)


def remove(client: httpx.Client, by: Member, member_id: str) -> httpx.Response:
    return client.delete(f"/admin/members/{member_id}", headers=by.headers)


def assert_forbidden(r: httpx.Response, what: Any = None) -> None:
    assert r.status_code == 403, (what, r.text)
    assert r.json() == FORBIDDEN, what


def assert_refused(r: httpx.Response) -> None:
    """The error table's 401 `UNAUTHORIZED`, with its Bearer challenge."""
    assert r.status_code == 401, r.text
    assert r.json() == UNAUTHORIZED
    assert r.headers["www-authenticate"] == "Bearer"


def assert_last_owner(r: httpx.Response) -> None:
    assert r.status_code == 409, r.text
    assert r.json() == LAST_OWNER


def at_once(*calls: Callable[[httpx.Client], httpx.Response], base_url: str) -> list[httpx.Response]:
    """Run `calls` in threads released together, each on its own connection."""
    barrier = threading.Barrier(len(calls))
    answers: list[httpx.Response | BaseException | None] = [None] * len(calls)

    def run(i: int) -> None:
        with httpx.Client(base_url=base_url, timeout=30) as c:
            c.get("/health")  # connected before the barrier
            barrier.wait()
            try:
                answers[i] = calls[i](c)
            except BaseException as e:  # noqa: BLE001 - reported below
                answers[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for a in answers:
        assert isinstance(a, httpx.Response), a
    return [a for a in answers if isinstance(a, httpx.Response)]


# --- the OpenAPI document and the methods ------------------------------------------------


def test_openapi_document_lists_the_member_endpoints(client: httpx.Client) -> None:
    doc = client.get("/openapi.json").json()
    paths = {"/admin/members": ["get"], "/admin/members/{member_id}": ["patch", "delete"],
             "/admin/invitations": ["get", "post"], "/admin/invitations/{invitation_id}": ["delete"],
             "/auth/accept-invitation": ["post"]}
    for path, methods in paths.items():
        assert path in doc["paths"], path
        for method in methods:
            op = doc["paths"][path][method]
            assert "members" in op.get("tags", []), (path, method)
            assert op.get("description") or op.get("summary"), (path, method)
    members = json_schema(doc, doc["paths"]["/admin/members"]["get"]["responses"]["200"])
    member = resolve(doc, resolve(doc, members["properties"]["members"])["items"])
    assert MEMBER_KEYS <= properties(doc, member), member
    patch = doc["paths"]["/admin/members/{member_id}"]["patch"]
    assert "role" in json_schema(doc, patch["requestBody"])["properties"]
    assert MEMBER_KEYS <= properties(doc, json_schema(doc, patch["responses"]["200"]))
    removed = json_schema(doc, doc["paths"]["/admin/members/{member_id}"]["delete"]["responses"]["200"])
    assert "removed" in removed["properties"], removed
    invite = doc["paths"]["/admin/invitations"]["post"]
    body = json_schema(doc, invite["requestBody"])
    assert {"email", "role", "expires_at"} <= set(body["properties"]), body
    assert {"email", "role"} <= set(body.get("required", [])), body
    assert "expires_at" not in body.get("required", []), body
    assert CREATED_INVITATION_KEYS <= properties(doc, json_schema(doc, invite["responses"]["201"]))
    listing = json_schema(doc, doc["paths"]["/admin/invitations"]["get"]["responses"]["200"])
    item = resolve(doc, resolve(doc, listing["properties"]["invitations"])["items"])
    assert INVITATION_KEYS <= properties(doc, item), item
    revoked = json_schema(doc, doc["paths"]["/admin/invitations/{invitation_id}"]["delete"]["responses"]["200"])
    assert "revoked" in revoked["properties"], revoked
    accepting = doc["paths"]["/auth/accept-invitation"]["post"]
    assert {"token", "password"} <= set(json_schema(doc, accepting["requestBody"])["properties"])
    assert MEMBER_KEYS <= properties(doc, json_schema(doc, accepting["responses"]["201"]))
    who = json_schema(doc, doc["paths"]["/auth/whoami"]["get"]["responses"]["200"])
    assert "role" in who["properties"], who
    for login in ["/admin/login", "/auth/login"]:
        schema = json_schema(doc, doc["paths"][login]["post"]["requestBody"])
        assert "organization_name" in schema["properties"], login
        assert "organization_name" not in schema.get("required", []), login


@pytest.mark.parametrize(("path", "methods"), ROUTES)
def test_other_methods_are_405_with_allow(client: httpx.Client, path: str, methods: list[str]) -> None:
    assert_other_methods_are_405(client, path, methods)


# --- inviting and joining --------------------------------------------------------------------


def test_an_owner_invites_an_admin_and_a_member_who_join(client: httpx.Client, db: Any) -> None:
    org = Org(client)
    before = datetime.now(timezone.utc)
    admin_email, member_email = email_for(org.name), email_for(org.name)
    admin_invitation = org.invite("admin", admin_email)
    member_invitation = org.invite("member", member_email.upper())
    for made, email, role in [(admin_invitation, admin_email, "admin"), (member_invitation, member_email.upper(), "member")]:
        assert set(made) == CREATED_INVITATION_KEYS
        assert ObjectId.is_valid(made["id"])
        assert made["prefix"] == "tni_" + made["id"]
        assert re.fullmatch(r"tni_[0-9a-f]{24}_[0-9A-Za-z_-]{16,}", made["token"]), made["token"]
        assert (made["email"], made["role"], made["invited_by"]) == (email, role, org.owner.id)
        assert abs(parse_time(made["created_at"]) - before) < timedelta(minutes=1)
        assert abs(parse_time(made["expires_at"]) - (before + timedelta(days=7))) < timedelta(minutes=1)
    # Pending: listed, oldest first, without their tokens.
    pending = org.invitations()
    assert [i["id"] for i in pending] == [admin_invitation["id"], member_invitation["id"]]
    for entry, made in zip(pending, [admin_invitation, member_invitation]):
        assert set(entry) == INVITATION_KEYS
        assert entry == {k: v for k, v in made.items() if k != "token"}
    # Nothing but the members yet.
    assert [m["email"] for m in org.members()] == [org.owner_email]
    # They accept.
    joined = []
    for made, password in [(admin_invitation, "admin-password-1"), (member_invitation, "member-password-1")]:
        r = accept(client, made["token"], password)
        assert r.status_code == 201, r.text
        body = r.json()
        assert set(body) == MEMBER_KEYS
        assert (body["email"], body["role"], body["first_admin"]) == (made["email"], made["role"], False)
        assert abs(parse_time(body["created_at"]) - datetime.now(timezone.utc)) < timedelta(minutes=1)
        joined.append(body)
    # The first admin first, an owner, then the others as they joined.
    members = org.members()
    assert [m["id"] for m in members] == [org.owner.id, joined[0]["id"], joined[1]["id"]]
    assert members[0] == {**members[0], "email": org.owner_email, "role": "owner", "first_admin": True}
    assert members[1:] == joined
    for m in members:
        assert set(m) == MEMBER_KEYS
    # Accepted: no longer pending.
    assert org.invitations() == []
    # Each logs in with its password, as its member, into the organization.
    admin = Member(client, admin_email, "admin-password-1")
    member = Member(client, member_email, "member-password-1")
    assert (admin.id, admin.organization_id) == (joined[0]["id"], org.owner.organization_id)
    assert (member.id, member.organization_id) == (joined[1]["id"], org.owner.organization_id)
    for who, role in [(org.owner, "owner"), (admin, "admin"), (member, "member")]:
        r = client.get("/auth/whoami", headers=who.headers)
        assert r.status_code == 200, r.text
        assert (r.json()["admin_id"], r.json()["role"], r.json()["organization_name"]) == (who.id, role, org.name)
    # Every member sees the same list.
    assert org.members(admin) == members == org.members(member)
    # The tokens appear in no listing and are not stored.
    shown = org.client.get("/admin/members", headers=org.owner.headers).text
    shown += org.client.get("/admin/invitations", headers=org.owner.headers).text
    stored = json_util.dumps(list(db.tenant_invitations.find({})))
    for made in [admin_invitation, member_invitation]:
        secret = made["token"][len(made["prefix"]) + 1:]
        assert made["token"] not in shown and secret not in shown
        assert secret not in stored


def test_an_invitation_may_expire_at_a_given_time(client: httpx.Client) -> None:
    org = Org(client)
    at = (datetime.now(timezone.utc) + timedelta(days=2)).replace(microsecond=0)
    r = client.post("/admin/invitations", json={"email": email_for(org.name), "role": "member",
                                                "expires_at": at.isoformat()}, headers=org.owner.headers)
    assert r.status_code == 201, r.text
    assert parse_time(r.json()["expires_at"]) == at


# --- the authorization matrix ------------------------------------------------------------------

#: What each role may do (True) or is refused with 403 `FORBIDDEN` (False).
MAY = {
    "rename": {"owner": True, "admin": False, "member": False},
    "delete": {"owner": True, "admin": False, "member": False},
    "manage": {"owner": True, "admin": True, "member": False},
}


@pytest.mark.parametrize("role", ROLES)
def test_what_each_role_may_do(client: httpx.Client, role: str) -> None:
    org = Org(client, f"Matrix {role}")
    admin = org.join("admin")
    member = org.join("member")
    actor = {"owner": org.owner, "admin": admin, "member": member}[role]
    may = MAY["manage"][role]

    def check(r: httpx.Response, ok: int, what: str) -> None:
        if may:
            assert r.status_code == ok, (role, what, r.text)
        else:
            assert_forbidden(r, (role, what))

    # Every member: who it is, its sessions, the members.
    r = client.get("/auth/whoami", headers=actor.headers)
    assert r.status_code == 200, r.text
    assert r.json()["role"] == role
    r = client.get("/auth/sessions", headers=actor.headers)
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"sessions"}
    r = client.get("/admin/members", headers=actor.headers)
    assert r.status_code == 200, r.text
    assert len(r.json()["members"]) == 3
    # Members: change a member's role, remove one.
    target = org.join("member")
    r = set_role(client, actor, target.id, "admin")
    check(r, 200, "set role")
    assert org.roles()[target.id] == ("admin" if may else "member")
    if may:
        assert r.json() == {**r.json(), "id": target.id, "role": "admin", "first_admin": False}
    r = remove(client, actor, target.id)
    check(r, 200, "remove")
    assert (target.id in org.roles()) is not may
    if may:
        assert r.json() == {"removed": True}
    # Invitations: invite, list, revoke.
    r = client.post("/admin/invitations", json={"email": email_for(org.name), "role": "member"},
                    headers=actor.headers)
    check(r, 201, "invite")
    r = client.get("/admin/invitations", headers=actor.headers)
    check(r, 200, "list invitations")
    pending = org.invite("member")
    r = client.delete(f"/admin/invitations/{pending['id']}", headers=actor.headers)
    check(r, 200, "revoke invitation")
    assert (pending["id"] in [i["id"] for i in org.invitations()]) is not may
    if may:
        assert r.json() == {"revoked": True}
    # API keys: make, list, revoke.
    r = client.post("/admin/api-keys", json={"name": "ci", "scopes": ["a"]}, headers=actor.headers)
    check(r, 201, "make key")
    r = client.get("/admin/api-keys", headers=actor.headers)
    check(r, 200, "list keys")
    r = client.post("/admin/api-keys", json={"name": "owners", "scopes": ["a"]}, headers=org.owner.headers)
    assert r.status_code == 201, r.text
    key_id = r.json()["id"]
    r = client.delete(f"/admin/api-keys/{key_id}", headers=actor.headers)
    check(r, 200, "revoke key")
    if may:
        assert r.json() == {"revoked": True}
    # Rename, then delete: an owner's.
    new_name = unique("Renamed")
    update = {"organization_name": org.name, "email": actor.email, "password": actor.password,
              "new_organization_name": new_name}
    r = client.put("/org/update", json=update, headers=actor.headers)
    if MAY["rename"][role]:
        assert r.status_code == 200, r.text
        assert r.json()["organization_name"] == new_name
        name = new_name
    else:
        assert_forbidden(r, (role, "rename"))
        name = org.name
    assert client.get("/org/get", params={"organization_name": name}).status_code == 200
    r = client.delete("/org/delete", params={"organization_name": name}, headers=actor.headers)
    if MAY["delete"][role]:
        assert r.status_code == 200, r.text
        assert client.get("/org/get", params={"organization_name": name}).status_code == 404
    else:
        assert_forbidden(r, (role, "delete"))
        assert client.get("/org/get", params={"organization_name": name}).status_code == 200


def test_a_member_may_still_change_its_own_password(client: httpx.Client) -> None:
    org = Org(client)
    member = org.join("member")
    update = {"organization_name": org.name, "email": member.email, "password": OTHER_PASSWORD}
    r = client.put("/org/update", json=update, headers=member.headers)
    assert r.status_code == 200, r.text
    # The organization's admin is still its first admin.
    assert r.json()["admin_email"] == org.owner_email
    assert client.get("/org/get", params={"organization_name": org.name}).json()["admin_email"] == org.owner_email
    # The member logs in with its new password, and only with it.
    Member(client, member.email, OTHER_PASSWORD)
    Member(client, member.email, OTHER_PASSWORD, org.name)
    r = client.post("/admin/login", json={"email": member.email, "password": PASSWORD})
    assert r.status_code == 401, r.text
    # Its email is no first admin's: it may still make an organization of its own.
    name = unique("Own")
    r = client.post("/org/create", json={"organization_name": name, "email": member.email, "password": PASSWORD})
    assert r.status_code == 201, r.text


def test_only_an_owner_touches_owners(client: httpx.Client) -> None:
    org = Org(client)
    admin = org.join("admin")
    member = org.join("member")
    second_owner = org.join("owner")
    before = org.roles()
    # An admin may not invite an owner,
    r = client.post("/admin/invitations", json={"email": email_for(org.name), "role": "owner"}, headers=admin.headers)
    assert_forbidden(r)
    # nor make one, nor change or remove one (the first admin or another).
    assert_forbidden(set_role(client, admin, member.id, "owner"))
    assert_forbidden(set_role(client, admin, admin.id, "owner"))
    for owner in [org.owner, second_owner]:
        assert_forbidden(set_role(client, admin, owner.id, "admin"))
        assert_forbidden(set_role(client, admin, owner.id, "member"))
        assert_forbidden(remove(client, admin, owner.id))
    assert org.roles() == before
    assert [i for i in org.invitations() if i["role"] == "owner"] == []
    # An owner may do all of it.
    org.invite("owner")
    r = set_role(client, org.owner, member.id, "owner")
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "owner"
    r = set_role(client, org.owner, second_owner.id, "admin")
    assert r.status_code == 200, r.text
    r = remove(client, org.owner, second_owner.id)
    assert r.status_code == 200, r.text
    assert r.json() == {"removed": True}
    assert org.roles() == {org.owner.id: "owner", admin.id: "admin", member.id: "owner"}


def test_an_api_key_is_refused_on_every_member_route(client: httpx.Client) -> None:
    org = Org(client)
    member = org.join("member")
    pending = org.invite("member")
    r = client.post("/admin/api-keys", json={"name": "ci", "scopes": ["admin"]}, headers=org.owner.headers)
    assert r.status_code == 201, r.text
    key = bearer(r.json()["key"])
    for method, path, body in [
        ("GET", "/admin/members", None),
        ("PATCH", f"/admin/members/{member.id}", {"role": "admin"}),
        ("PATCH", f"/admin/members/{org.owner.id}", {"role": "member"}),
        ("DELETE", f"/admin/members/{member.id}", None),
        ("POST", "/admin/invitations", {"email": email_for(org.name), "role": "owner"}),
        ("GET", "/admin/invitations", None),
        ("DELETE", f"/admin/invitations/{pending['id']}", None),
    ]:
        assert_forbidden(client.request(method, path, json=body, headers=key), (method, path))
    r = client.get("/auth/whoami", headers=key)
    assert r.status_code == 200, r.text
    assert r.json()["role"] is None
    assert org.roles() == {org.owner.id: "owner", member.id: "member"}
    assert [i["id"] for i in org.invitations()] == [pending["id"]]


# --- the last owner ----------------------------------------------------------------------------


def test_the_only_owner_cannot_demote_itself(client: httpx.Client) -> None:
    org = Org(client)
    admin = org.join("admin")
    for role in ["admin", "member"]:
        assert_last_owner(set_role(client, org.owner, org.owner.id, role))
    # Giving itself its own role changes nothing.
    r = set_role(client, org.owner, org.owner.id, "owner")
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "owner"
    assert org.roles() == {org.owner.id: "owner", admin.id: "admin"}


def test_the_first_admin_cannot_be_removed_only_demoted(client: httpx.Client) -> None:
    org = Org(client)
    other = org.join("owner")
    # Not by itself, not by another owner.
    for by in [org.owner, other]:
        assert_forbidden(remove(client, by, org.owner.id))
    # Demoted, it is still there, and still not removable.
    r = set_role(client, other, org.owner.id, "member")
    assert r.status_code == 200, r.text
    assert r.json() == {**r.json(), "id": org.owner.id, "role": "member", "first_admin": True}
    assert_forbidden(remove(client, other, org.owner.id))
    assert org.roles() == {org.owner.id: "member", other.id: "owner"}
    # Now the joined owner is the last one: it can neither leave nor step down.
    assert_last_owner(set_role(client, other, other.id, "admin"))
    assert_last_owner(remove(client, other, other.id))
    roles = {m["id"]: m["role"] for m in org.members(other)}
    assert roles == {org.owner.id: "member", other.id: "owner"}


def test_two_owners_demoting_each_other_at_once_leave_one(client: httpx.Client, server: Any) -> None:
    # Rounds until both requests overlapped at least once (a 409; most rounds do).
    overlapped = False
    for _ in range(8):
        org = Org(client, "Race")
        other = org.join("owner")
        answers = at_once(
            lambda c: c.patch(f"/admin/members/{other.id}", json={"role": "admin"}, headers=org.owner.headers),
            lambda c: c.patch(f"/admin/members/{org.owner.id}", json={"role": "admin"}, headers=other.headers),
            base_url=server.base_url,
        )
        # One wins. The other is refused: 409 `LAST_OWNER` when both were owners as they
        # went, 403 `FORBIDDEN` when it was demoted before it went (an admin may not
        # change an owner).
        assert sorted(a.status_code for a in answers) in ([200, 403], [200, 409]), [a.text for a in answers]
        lost = next(a for a in answers if a.status_code != 200)
        assert lost.json() == (LAST_OWNER if lost.status_code == 409 else FORBIDDEN)
        winner = org.owner if answers[0].status_code == 200 else other
        owners = [m for m in org.members(winner) if m["role"] == "owner"]
        assert [m["id"] for m in owners] == [winner.id], owners
        # The one left is the last owner from then on.
        assert_last_owner(set_role(client, winner, winner.id, "member"))
        overlapped = lost.status_code == 409
        if overlapped:
            break
    assert overlapped, "the two demotions never overlapped"


# --- invitations --------------------------------------------------------------------------------


def test_an_invitation_works_once_even_when_raced(client: httpx.Client, server: Any) -> None:
    for _ in range(3):
        org = Org(client)
        made = org.invite("member")
        answers = at_once(
            lambda c: accept(c, made["token"], "first-password-1"),
            lambda c: accept(c, made["token"], "second-password-2"),
            base_url=server.base_url,
        )
        # One joins; the other finds the invitation used (also when it finds its email
        # joined by the winner: that is the same invitation, used).
        assert sorted(a.status_code for a in answers) == [201, 401], [a.text for a in answers]
        assert_refused(next(a for a in answers if a.status_code == 401))
        winner = answers[0] if answers[0].status_code == 201 else answers[1]
        members = org.members()
        assert [m["email"] for m in members] == [org.owner_email, made["email"]]
        assert members[1] == winner.json()
        # The winner's password is the member's; the invitation is used up.
        password = "first-password-1" if winner is answers[0] else "second-password-2"
        Member(client, made["email"], password)
        assert_refused(accept(client, made["token"], "third-password-3"))
        assert org.invitations() == []


def test_a_revoked_invitation_is_401(client: httpx.Client) -> None:
    org = Org(client)
    made, kept = org.invite("admin"), org.invite("member")
    r = client.delete(f"/admin/invitations/{made['id']}", headers=org.owner.headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"revoked": True}
    assert [i["id"] for i in org.invitations()] == [kept["id"]]
    assert_refused(accept(client, made["token"]))
    # Revoked already: nothing to revoke.
    r = client.delete(f"/admin/invitations/{made['id']}", headers=org.owner.headers)
    assert r.json() == {"revoked": False}
    assert [m["email"] for m in org.members()] == [org.owner_email]


def test_an_expired_invitation_is_401(client: httpx.Client, db: Any) -> None:
    org = Org(client)
    made = org.invite("member")
    past = datetime.now(timezone.utc) - timedelta(minutes=1)
    assert db.tenant_invitations.update_one({"_id": ObjectId(made["id"])}, {"$set": {"expires_at": past}}).matched_count == 1
    assert_refused(accept(client, made["token"]))
    assert org.invitations() == []
    assert [m["email"] for m in org.members()] == [org.owner_email]


def test_garbage_and_forged_invitation_tokens_are_401(client: httpx.Client) -> None:
    org = Org(client)
    made = org.invite("member")
    prefix, secret = made["prefix"], made["token"][len(made["prefix"]) + 1:]
    wrong_secret = ("0" if secret[0] != "0" else "1") + secret[1:]
    for token in ["garbage", "", "tni_", prefix, f"{prefix}_", f"{prefix}_{wrong_secret}", made["token"][:-1],
                  made["token"] + "0", made["token"].upper(), f"tni_{ObjectId()}_{secret}", f"tnk_{made['id']}_{secret}",
                  f"tni_{'z' * 24}_{secret}", f" {made['token']}"]:
        assert_refused(accept(client, token))
    assert [m["email"] for m in org.members()] == [org.owner_email]
    # Still good for its invitee.
    r = accept(client, made["token"])
    assert r.status_code == 201, r.text


def test_a_weak_password_is_refused_as_elsewhere_and_joins_nobody(client: httpx.Client) -> None:
    org = Org(client)
    made = org.invite("member")
    for weak in ["short", "", "seven77"]:
        r = accept(client, made["token"], weak)
        # The answer of a create with the same password.
        name = unique("Weak")
        elsewhere = client.post("/org/create", json={"organization_name": name, "email": email_for(name), "password": weak})
        assert_validation_error(r, "password")
        assert r.status_code == elsewhere.status_code
        assert r.json() == elsewhere.json()
    assert [m["email"] for m in org.members()] == [org.owner_email]
    # The invitation is not used up.
    assert [i["id"] for i in org.invitations()] == [made["id"]]
    assert accept(client, made["token"]).status_code == 201


def test_a_members_email_cannot_be_invited_again(client: httpx.Client) -> None:
    org = Org(client)
    member = org.join("member")
    for email in [org.owner_email, org.owner_email.upper(), member.email, f"  {member.email.upper()} "]:
        for role in ["member", "admin"]:
            r = client.post("/admin/invitations", json={"email": email, "role": role}, headers=org.owner.headers)
            assert r.status_code == 400, (email, r.text)
            assert r.json() == EMAIL_TAKEN, email
    assert org.invitations() == []


def test_an_invitation_accepted_after_the_email_joined_otherwise_is_refused(client: httpx.Client) -> None:
    org = Org(client)
    email = email_for(org.name)
    first, second = org.invite("member", email), org.invite("admin", email)
    assert accept(client, first["token"]).status_code == 201
    r = accept(client, second["token"])
    assert r.status_code == 400, r.text
    assert r.json() == EMAIL_TAKEN
    assert [m["email"] for m in org.members()] == [org.owner_email, email]


@pytest.mark.parametrize(
    ("body", "problems"),
    [
        ({}, [("email", "missing"), ("role", "missing")]),
        ({"email": "x@example.com"}, [("role", "missing")]),
        ({"email": 1, "role": ["admin"]}, [("email", "type_error"), ("role", "type_error")]),
        ({"email": "x@example.com", "role": "Owner"}, [("role", "value_error")]),
        ({"email": "x@example.com", "role": "superuser"}, [("role", "value_error")]),
        ({"email": "x@example.com", "role": "member", "expires_at": "soon"}, [("expires_at", "value_error")]),
        ({"email": "not-an-email", "role": "member"}, [("email", "value_error")]),
        ({"email": "x@example.com", "role": "member", "expires_at": "2000-01-01T00:00:00Z"}, [("expires_at", "value_error")]),
        ({"email": "x@example.com", "role": "member",
          "expires_at": (datetime.now(timezone.utc) + timedelta(days=31)).isoformat()}, [("expires_at", "value_error")]),
    ],
)
def test_a_bad_invitation_body_is_400(client: httpx.Client, body: dict[str, Any], problems: list[tuple[str, str]]) -> None:
    org = Org(client)
    r = client.post("/admin/invitations", json=body, headers=org.owner.headers)
    assert_validation_error(r, problems[0][0])
    assert [(e["field"], e["type"]) for e in r.json()["errors"]] == problems, r.json()
    assert org.invitations() == []


@pytest.mark.parametrize(("body", "field", "kind"), [({}, "token", "missing"), ({"token": "x"}, "password", "missing"),
                                                     ({"token": 5, "password": PASSWORD}, "token", "type_error")])
def test_a_bad_acceptance_body_is_400(client: httpx.Client, body: dict[str, Any], field: str, kind: str) -> None:
    r = client.post("/auth/accept-invitation", json=body)
    assert_validation_error(r, field)
    assert r.json()["errors"][0]["type"] == kind


def test_unknown_and_malformed_invitation_ids(client: httpx.Client) -> None:
    org, other = Org(client), Org(client, "Other")
    theirs = other.invite("member")
    for unknown in [str(ObjectId()), theirs["id"]]:
        r = client.delete(f"/admin/invitations/{unknown}", headers=org.owner.headers)
        assert r.status_code == 200, r.text
        assert r.json() == {"revoked": False}
    assert [i["id"] for i in other.invitations()] == [theirs["id"]]
    for bad in ["not-an-id", "0" * 23, "g" * 24]:
        r = client.delete(f"/admin/invitations/{bad}", headers=org.owner.headers)
        assert_validation_error(r, "invitation_id")


# --- one email, several organizations -----------------------------------------------------------


def two_memberships(client: httpx.Client, same_password: bool) -> tuple[str, Org, Org]:
    """An email that is a member of two organizations: with PASSWORD in the first, and
    PASSWORD or OTHER_PASSWORD in the second."""
    a, b = Org(client, "Alpha"), Org(client, "Beta")
    email = f"shared-{ObjectId()}@example.com"
    a.join("member", email, PASSWORD)
    b.join("admin", email, PASSWORD if same_password else OTHER_PASSWORD)
    return email, a, b


@pytest.mark.parametrize("path", ["/admin/login", "/auth/login"])
def test_an_email_in_two_organizations_logs_into_the_one_its_password_opens(client: httpx.Client, path: str) -> None:
    email, a, b = two_memberships(client, same_password=False)
    for password, org in [(PASSWORD, a), (OTHER_PASSWORD, b)]:
        r = client.post(path, json={"email": email, "password": password})
        assert r.status_code == 200, r.text
        assert r.json()["organization_name"] == org.name
        assert r.json()["organization_id"] == org.owner.organization_id
        if path == "/admin/login":
            assert set(r.json()) == LOGIN_KEYS
        # Named, it is the same; named with the other's password, refused.
        r = client.post(path, json={"email": email, "password": password, "organization_name": org.name})
        assert r.status_code == 200, r.text
        assert r.json()["organization_name"] == org.name
        other = b if org is a else a
        r = client.post(path, json={"email": email, "password": password, "organization_name": other.name})
        assert r.status_code == 401, r.text
        assert r.json() == INVALID_CREDENTIALS
    r = client.post(path, json={"email": email, "password": "neither-password"})
    assert r.status_code == 401, r.text
    assert r.json() == INVALID_CREDENTIALS


@pytest.mark.parametrize("path", ["/admin/login", "/auth/login"])
def test_an_email_whose_password_opens_two_organizations_must_name_one(client: httpx.Client, path: str) -> None:
    email, a, b = two_memberships(client, same_password=True)
    for body in [{"email": email, "password": PASSWORD}, {"email": email, "password": PASSWORD, "organization_name": None}]:
        r = client.post(path, json=body)
        assert_validation_error(r, "organization_name")
        assert r.json()["errors"][0]["type"] == "value_error"
        assert "access_token" not in r.json()
    for org, role in [(a, "member"), (b, "admin")]:
        for spelled in [org.name, org.name.upper()]:
            r = client.post(path, json={"email": email, "password": PASSWORD, "organization_name": spelled})
            assert r.status_code == 200, r.text
            body = r.json()
            assert body["organization_name"] == org.name
            assert body["organization_id"] == org.owner.organization_id
            who = client.get("/auth/whoami", headers=bearer(body["access_token"]))
            assert who.status_code == 200, who.text
            assert (who.json()["organization_name"], who.json()["role"]) == (org.name, role)
    # A name the email is no member of, or no organization's, is a failed login.
    stranger = Org(client, "Stranger")
    for name in [stranger.name, unique("Nowhere")]:
        r = client.post(path, json={"email": email, "password": PASSWORD, "organization_name": name})
        assert r.status_code == 401, r.text
        assert r.json() == INVALID_CREDENTIALS
    r = client.post(path, json={"email": email, "password": PASSWORD, "organization_name": 5})
    assert_validation_error(r, "organization_name")


@pytest.mark.parametrize("path", ["/admin/login", "/auth/login"])
def test_a_first_admin_may_name_its_organization(client: httpx.Client, path: str) -> None:
    org = Org(client)
    r = client.post(path, json={"email": org.owner_email, "password": PASSWORD, "organization_name": org.name})
    assert r.status_code == 200, r.text
    assert (r.json()["admin_id"], r.json()["organization_name"]) == (org.owner.id, org.name)
    other = Org(client, "Other")
    r = client.post(path, json={"email": org.owner_email, "password": PASSWORD, "organization_name": other.name})
    assert r.status_code == 401, r.text
    assert r.json() == INVALID_CREDENTIALS


# --- removing members, changing roles -------------------------------------------------------------


def test_a_removed_members_token_and_login_are_401(client: httpx.Client) -> None:
    org = Org(client)
    admin = org.join("admin")
    member = org.join("member")
    r = client.post("/auth/login", json={"email": member.email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    session = r.json()
    # Both of its tokens at work until it is removed.
    for token in [member.token, session["access_token"]]:
        assert client.get("/auth/whoami", headers=bearer(token)).status_code == 200
    r = remove(client, admin, member.id)
    assert r.status_code == 200, r.text
    assert r.json() == {"removed": True}
    for token in [member.token, session["access_token"]]:
        assert_refused(client.get("/auth/whoami", headers=bearer(token)))
        assert_refused(client.get("/admin/members", headers=bearer(token)))
    assert_refused(client.post("/auth/refresh", json={"refresh_token": session["refresh_token"]}))
    for path in ["/admin/login", "/auth/login"]:
        r = client.post(path, json={"email": member.email, "password": PASSWORD})
        assert r.status_code == 401, r.text
        assert r.json() == INVALID_CREDENTIALS
    assert org.roles() == {org.owner.id: "owner", admin.id: "admin"}
    # Gone already: nothing to remove.
    r = remove(client, admin, member.id)
    assert r.status_code == 200, r.text
    assert r.json() == {"removed": False}
    # The email may be invited again, and joins afresh.
    again = org.join("member", member.email, OTHER_PASSWORD)
    assert again.id in org.roles()
    assert_refused(client.get("/auth/whoami", headers=member.headers))


def test_a_role_change_is_seen_at_once(client: httpx.Client) -> None:
    org = Org(client)
    member = org.join("member")

    def role() -> str:
        r = client.get("/auth/whoami", headers=member.headers)
        assert r.status_code == 200, r.text
        found: str = r.json()["role"]
        return found

    assert role() == "member"
    assert_forbidden(client.get("/admin/invitations", headers=member.headers))
    # The member's earlier tokens carry its new role: what it may do, and what it is told.
    r = set_role(client, org.owner, member.id, "admin")
    assert r.status_code == 200, r.text
    assert role() == "admin"
    assert org.invitations(member) == []
    r = set_role(client, org.owner, member.id, "member")
    assert r.status_code == 200, r.text
    assert role() == "member"
    assert_forbidden(client.get("/admin/invitations", headers=member.headers))


@pytest.mark.parametrize(("body", "kind"), [({"role": "superuser"}, "value_error"), ({"role": "OWNER"}, "value_error"),
                                            ({"role": ""}, "value_error"), ({"role": 1}, "type_error"),
                                            ({"role": None}, "type_error"), ({}, "missing")])
def test_a_bad_role_is_400(client: httpx.Client, body: dict[str, Any], kind: str) -> None:
    org = Org(client)
    member = org.join("member")
    r = client.patch(f"/admin/members/{member.id}", json=body, headers=org.owner.headers)
    assert_validation_error(r, "role")
    assert r.json()["errors"][0]["type"] == kind
    assert org.roles()[member.id] == "member"


@pytest.mark.parametrize(("raw", "kind"), [(b"", "json_invalid"), (b"{not json", "json_invalid"), (b"[]", "type_error")])
def test_a_malformed_role_body_is_400(client: httpx.Client, raw: bytes, kind: str) -> None:
    org = Org(client)
    r = client.patch(f"/admin/members/{org.owner.id}", content=raw,
                     headers={**org.owner.headers, "content-type": "application/json"})
    assert_validation_error(r, "body")
    assert r.json()["errors"][0]["type"] == kind


def test_unknown_and_malformed_member_ids(client: httpx.Client) -> None:
    org, other = Org(client), Org(client, "Other")
    for unknown in [str(ObjectId()), other.owner.id]:
        r = set_role(client, org.owner, unknown, "member")
        assert r.status_code == 404, r.text
        assert r.json() == NOT_FOUND
        r = remove(client, org.owner, unknown)
        assert r.status_code == 200, r.text
        assert r.json() == {"removed": False}
    assert other.roles() == {other.owner.id: "owner"}
    for bad in ["not-an-id", "0" * 23, "0" * 25, "g" * 24]:
        assert_validation_error(set_role(client, org.owner, bad, "member"), "member_id")
        assert_validation_error(remove(client, org.owner, bad), "member_id")


def test_the_order_of_the_checks_of_a_role_change(client: httpx.Client) -> None:
    org = Org(client)
    # The header first,
    r = client.patch("/admin/members/not-an-id", json={"role": "nope"})
    assert r.status_code == 401, r.text
    assert r.json() == {"detail": "Not authenticated", "code": "UNAUTHORIZED"}
    # then the body,
    r = client.patch("/admin/members/not-an-id", json={"role": "nope"}, headers=bearer("garbage"))
    assert_validation_error(r, "role")
    # then the credential,
    assert_refused(client.patch("/admin/members/not-an-id", json={"role": "member"}, headers=bearer("garbage")))
    # then the id.
    r = client.patch("/admin/members/not-an-id", json={"role": "member"}, headers=org.owner.headers)
    assert_validation_error(r, "member_id")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("GET", "/admin/members", None), ("PATCH", f"/admin/members/{ObjectId()}", {"role": "member"}),
     ("DELETE", f"/admin/members/{ObjectId()}", None),
     ("POST", "/admin/invitations", {"email": "x@example.com", "role": "member"}),
     ("GET", "/admin/invitations", None), ("DELETE", f"/admin/invitations/{ObjectId()}", None)],
)
def test_the_calls_need_a_valid_bearer_credential(client: httpx.Client, method: str, path: str, body: Any) -> None:
    r = client.request(method, path, json=body)
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json() == {"detail": "Not authenticated", "code": "UNAUTHORIZED"}
    for credential in ["garbage", "a.b.c", "tnk_"]:
        assert_refused(client.request(method, path, json=body, headers=bearer(credential)))
