"""The sessions extension (tag "sessions"): a login that opens a session
(`POST /auth/login`: a short access token and a refresh token), refreshes that rotate the
refresh token and end the whole session when a used one comes back (`POST /auth/refresh`),
the admin's open sessions (`GET /auth/sessions`), and logging out of one session or of all
(`POST /auth/logout`, `POST /auth/logout-all`). The original `POST /admin/login` is
unchanged."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from bson import ObjectId

from conftest import PASSWORD, unique
from test_contract import assert_other_methods_are_405, assert_validation_error, bearer, parse_time
from test_extensions import create, login, operator

SESSION_KEYS = {
    "access_token", "token_type", "expires_in", "refresh_token", "session_id", "session_expires_at",
    "admin_id", "organization_id", "organization_name",
}
SESSION_INFO_KEYS = {"session_id", "created_at", "refreshed_at", "expires_at", "client"}
ADMIN_LOGIN_KEYS = {"access_token", "token_type", "admin_id", "organization_id", "organization_name"}
#: The error table's 401 for a refused token (`UNAUTHORIZED`).
UNAUTHORIZED = {"detail": "Could not validate credentials", "code": "UNAUTHORIZED"}
#: Defaults of SESSION_ACCESS_SECONDS and SESSION_REFRESH_SECONDS (the suite sets neither).
ACCESS_SECONDS = 900
REFRESH_SECONDS = 2592000

#: Each path of the extension with the one method it takes.
ROUTES = [
    ("/auth/login", "post"),
    ("/auth/refresh", "post"),
    ("/auth/sessions", "get"),
    ("/auth/logout", "post"),
    ("/auth/logout-all", "post"),
]


def open_session(client: httpx.Client, email: str, **headers: str) -> dict[str, Any]:
    """`POST /auth/login` with the right password: the session's body."""
    r = client.post("/auth/login", json={"email": email, "password": PASSWORD}, headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def refresh(client: httpx.Client, refresh_token: str) -> httpx.Response:
    return client.post("/auth/refresh", json={"refresh_token": refresh_token})


def listed(client: httpx.Client, session: dict[str, Any]) -> list[dict[str, Any]]:
    """The open sessions, as `session`'s access token sees them."""
    r = client.get("/auth/sessions", headers=bearer(session["access_token"]))
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"sessions"}, body
    sessions: list[dict[str, Any]] = body["sessions"]
    return sessions


def logout(client: httpx.Client, session: dict[str, Any], session_id: Any) -> httpx.Response:
    return client.post("/auth/logout", json={"session_id": session_id}, headers=bearer(session["access_token"]))


def assert_refused(r: httpx.Response) -> None:
    """The error table's 401 `UNAUTHORIZED`, with its Bearer challenge."""
    assert r.status_code == 401, r.text
    assert r.json() == UNAUTHORIZED
    assert r.headers["www-authenticate"] == "Bearer"


def assert_suspended(r: httpx.Response) -> None:
    assert r.status_code == 403, r.text
    assert r.json()["code"] == "TENANT_SUSPENDED", r.text


# --- the OpenAPI document and the methods ------------------------------------------------


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    resolved: dict[str, Any] = doc["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return resolved


def json_schema(doc: dict[str, Any], holder: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema of a request body or a response."""
    return resolve(doc, holder["content"]["application/json"]["schema"])


def test_openapi_document_lists_the_session_endpoints(client: httpx.Client) -> None:
    doc = client.get("/openapi.json").json()
    for path, method in ROUTES:
        assert path in doc["paths"], path
        assert method in doc["paths"][path], (path, method)
        assert "sessions" in doc["paths"][path][method].get("tags", []), path
    op = {path: doc["paths"][path][method] for path, method in ROUTES}
    for path, fields in [("/auth/login", {"email", "password"}), ("/auth/refresh", {"refresh_token"}),
                         ("/auth/logout", {"session_id"})]:
        schema = json_schema(doc, op[path]["requestBody"])
        assert fields <= set(schema["properties"]), (path, schema)
        assert fields <= set(schema.get("required", [])), (path, schema)
    for path in ["/auth/login", "/auth/refresh"]:
        schema = json_schema(doc, op[path]["responses"]["200"])
        assert SESSION_KEYS <= set(schema["properties"]), (path, schema)
    listing = json_schema(doc, op["/auth/sessions"]["responses"]["200"])
    item = resolve(doc, resolve(doc, listing["properties"]["sessions"])["items"])
    assert SESSION_INFO_KEYS <= set(item["properties"]), item
    for path in ["/auth/logout", "/auth/logout-all"]:
        schema = json_schema(doc, op[path]["responses"]["200"])
        assert "ended" in schema["properties"], (path, schema)


@pytest.mark.parametrize(("path", "method"), ROUTES)
def test_other_methods_are_405_with_allow(client: httpx.Client, path: str, method: str) -> None:
    assert_other_methods_are_405(client, path, [method])


# --- login ---------------------------------------------------------------------------------


def test_login_opens_a_session_whose_access_token_authorizes(client: httpx.Client) -> None:
    name = unique("Session")
    email = create(client, name)
    before = datetime.now(timezone.utc)
    s = open_session(client, email)
    assert set(s) == SESSION_KEYS
    assert s["token_type"] == "bearer"
    assert s["organization_name"] == name
    for key in ["admin_id", "organization_id", "session_id"]:
        assert ObjectId.is_valid(s[key]), (key, s[key])
    assert isinstance(s["expires_in"], int) and 0 < s["expires_in"] <= ACCESS_SECONDS
    ends = parse_time(s["session_expires_at"])
    assert abs(ends - (before + timedelta(seconds=REFRESH_SECONDS))) < timedelta(minutes=5)
    assert isinstance(s["refresh_token"], str) and s["refresh_token"]
    assert s["refresh_token"] != s["access_token"]
    # The same admin and organization as the original login names.
    original = client.post("/admin/login", json={"email": email, "password": PASSWORD}).json()
    assert (s["admin_id"], s["organization_id"]) == (original["admin_id"], original["organization_id"])
    # The access token authorizes the bearer endpoints: the original ones and the sessions.
    update = {"organization_name": name, "email": email, "password": PASSWORD}
    r = client.put("/org/update", json=update, headers=bearer(s["access_token"]))
    assert r.status_code == 200, r.text
    [info] = listed(client, s)
    assert set(info) == SESSION_INFO_KEYS
    assert info["session_id"] == s["session_id"]
    assert parse_time(info["expires_at"]) == ends
    assert parse_time(info["created_at"]) <= parse_time(info["refreshed_at"])
    assert before - timedelta(minutes=1) < parse_time(info["created_at"]) < ends


def test_admin_login_answers_as_before(client: httpx.Client) -> None:
    name = unique("Original")
    email = create(client, name)
    open_session(client, email)
    r = client.post("/admin/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == ADMIN_LOGIN_KEYS
    assert body["token_type"] == "bearer" and body["organization_name"] == name


def test_the_client_of_a_session_is_the_connection_without_a_trusted_proxy(client: httpx.Client) -> None:
    email = create(client, unique("Client"))
    # The suite's servers trust no proxy: X-Forwarded-For is not believed.
    s = open_session(client, email, **{"X-Forwarded-For": "203.0.113.9"})
    [info] = listed(client, s)
    assert info["client"] == "127.0.0.1"


def test_wrong_credentials_get_the_401_of_admin_login(client: httpx.Client) -> None:
    email = create(client, unique("Wrong"))
    for body in [{"email": email, "password": "not-the-password"},
                 {"email": "nobody@nowhere.example", "password": PASSWORD}]:
        r = client.post("/auth/login", json=body)
        original = client.post("/admin/login", json=body)
        assert r.status_code == original.status_code == 401, r.text
        assert r.json() == original.json() == {"detail": "Invalid email or password", "code": "INVALID_CREDENTIALS"}
        assert "refresh_token" not in r.text


@pytest.mark.parametrize(
    "raw",
    [b"", b"{not json", b"[]", b'"text"', b"{}", b'{"email": "a@b.example"}',
     b'{"email": {"$gt": ""}, "password": {"$gt": ""}}', b'{"email": null, "password": 5}'],
)
def test_a_bad_login_body_is_answered_as_admin_login_answers_it(client: httpx.Client, raw: bytes) -> None:
    headers = {"content-type": "application/json"}
    r = client.post("/auth/login", content=raw, headers=headers)
    original = client.post("/admin/login", content=raw, headers=headers)
    assert r.status_code in (400, 422), r.text
    assert (r.status_code, r.json()) == (original.status_code, original.json())


def test_session_logins_are_throttled_with_retry_after(client: httpx.Client) -> None:
    email = create(client, unique("Throttled"))
    failures = [client.post("/auth/login", json={"email": email, "password": f"wrong-{i}"}) for i in range(10)]
    assert [r.status_code for r in failures] == [401] * 10
    # Locked out: the right password too, with a retry time, and no session opened.
    locked = client.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert (locked.status_code, locked.json()["code"]) == (429, "TOO_MANY_ATTEMPTS"), locked.text
    assert 1 <= int(locked.headers["retry-after"]) <= 300
    assert "refresh_token" not in locked.text
    # Another account from the same client is not locked out.
    open_session(client, create(client, unique("Unthrottled")))


# --- refresh -------------------------------------------------------------------------------


def test_refresh_rotates_and_a_reused_token_ends_the_session(client: httpx.Client) -> None:
    email = create(client, unique("Rotated"))
    s = open_session(client, email)
    time.sleep(0.05)
    witness = open_session(client, email)
    first = refresh(client, s["refresh_token"])
    assert first.status_code == 200, first.text
    t1 = first.json()
    assert set(t1) == SESSION_KEYS and t1["token_type"] == "bearer"
    assert t1["refresh_token"] != s["refresh_token"]
    assert t1["session_id"] == s["session_id"], "the same session, renewed"
    assert t1["session_expires_at"] == s["session_expires_at"], "a refresh does not extend the session"
    assert 0 < t1["expires_in"] <= ACCESS_SECONDS
    assert sorted(i["session_id"] for i in listed(client, t1)) == sorted([s["session_id"], witness["session_id"]])
    # The new token works once.
    second = refresh(client, t1["refresh_token"])
    assert second.status_code == 200, second.text
    t2 = second.json()
    assert t2["refresh_token"] not in (s["refresh_token"], t1["refresh_token"])
    # A used token again: refused, and its whole session ends, the newest token with it.
    assert_refused(refresh(client, t1["refresh_token"]))
    assert_refused(refresh(client, t2["refresh_token"]))
    assert_refused(refresh(client, s["refresh_token"]))
    assert [i["session_id"] for i in listed(client, witness)] == [witness["session_id"]]
    # Other sessions are not affected.
    assert refresh(client, witness["refresh_token"]).status_code == 200


def test_the_first_token_presented_twice_ends_its_session(client: httpx.Client) -> None:
    email = create(client, unique("Replayed"))
    s = open_session(client, email)
    first = refresh(client, s["refresh_token"])
    assert first.status_code == 200, first.text
    assert_refused(refresh(client, s["refresh_token"]))
    assert_refused(refresh(client, first.json()["refresh_token"]))
    other = open_session(client, email)
    assert s["session_id"] not in [i["session_id"] for i in listed(client, other)]


@pytest.mark.parametrize("token", ["abc", "", f"{ObjectId()}.garbage", f"{ObjectId()}.{'0' * 64}", "a.b.c"])
def test_an_unknown_or_malformed_refresh_token_is_401(client: httpx.Client, token: str) -> None:
    assert_refused(refresh(client, token))


def test_refresh_checks_its_body(client: httpx.Client) -> None:
    r = client.post("/auth/refresh", json={})
    assert_validation_error(r, "refresh_token")
    assert r.json()["errors"][0]["type"] == "missing"
    r = client.post("/auth/refresh", json={"refresh_token": 7})
    assert_validation_error(r, "refresh_token")
    assert r.json()["errors"][0]["type"] == "type_error"


# --- listing and logging out ---------------------------------------------------------------


def test_sessions_are_listed_newest_first_and_logout_ends_one(client: httpx.Client) -> None:
    email = create(client, unique("Twice"))
    a = open_session(client, email)
    time.sleep(0.05)
    b = open_session(client, email)
    sessions = listed(client, b)
    assert [i["session_id"] for i in sessions] == [b["session_id"], a["session_id"]]
    assert parse_time(sessions[0]["created_at"]) >= parse_time(sessions[1]["created_at"])
    assert listed(client, a) == sessions, "any of the admin's access tokens sees them all"
    r = logout(client, b, a["session_id"])
    assert r.status_code == 200, r.text
    assert r.json() == {"ended": True}
    assert_refused(refresh(client, a["refresh_token"]))
    assert [i["session_id"] for i in listed(client, b)] == [b["session_id"]]
    renewed = refresh(client, b["refresh_token"])
    assert renewed.status_code == 200, "the other session goes on: " + renewed.text
    # Ended already, or never there: nothing to end.
    r = logout(client, b, a["session_id"])
    assert r.status_code == 200 and r.json() == {"ended": False}, r.text
    r = logout(client, b, str(ObjectId()))
    assert r.status_code == 200 and r.json() == {"ended": False}, r.text
    # A session can end itself.
    r = logout(client, b, b["session_id"])
    assert r.status_code == 200 and r.json() == {"ended": True}, r.text
    assert_refused(refresh(client, renewed.json()["refresh_token"]))


@pytest.mark.parametrize("session_id", ["not-an-id", "", "12345", "g" * 24])
def test_logout_of_a_non_id_is_400(client: httpx.Client, session_id: str) -> None:
    s = open_session(client, create(client, unique("BadId")))
    r = logout(client, s, session_id)
    assert_validation_error(r, "session_id")
    assert r.json()["errors"][0]["type"] == "value_error"
    assert refresh(client, s["refresh_token"]).status_code == 200, "nothing ended"


def test_logout_checks_its_body(client: httpx.Client) -> None:
    s = open_session(client, create(client, unique("NoBody")))
    r = client.post("/auth/logout", json={}, headers=bearer(s["access_token"]))
    assert_validation_error(r, "session_id")
    assert r.json()["errors"][0]["type"] == "missing"
    r = logout(client, s, 12)
    assert_validation_error(r, "session_id")
    assert r.json()["errors"][0]["type"] == "type_error"
    r = client.post("/auth/logout", content=b"{not json", headers={**bearer(s["access_token"]), "content-type": "application/json"})
    assert_validation_error(r, "body")


def test_one_organization_cannot_end_anothers_session(client: httpx.Client) -> None:
    mine = open_session(client, create(client, unique("Mine")))
    theirs = open_session(client, create(client, unique("Theirs")))
    r = logout(client, mine, theirs["session_id"])
    assert r.status_code == 200 and r.json() == {"ended": False}, r.text
    assert [i["session_id"] for i in listed(client, mine)] == [mine["session_id"]]
    assert [i["session_id"] for i in listed(client, theirs)] == [theirs["session_id"]]
    assert refresh(client, theirs["refresh_token"]).status_code == 200


def test_logout_all_ends_every_session_and_revokes_every_access_token(client: httpx.Client) -> None:
    name = unique("Everywhere")
    email = create(client, name)
    original = login(client, email)
    a, b, c = (open_session(client, email) for _ in range(3))
    renewed = refresh(client, c["refresh_token"])
    assert renewed.status_code == 200, renewed.text
    c = renewed.json()
    bystander = open_session(client, create(client, unique("Bystander")))
    r = client.post("/auth/logout-all", headers=bearer(a["access_token"]))
    assert r.status_code == 200, r.text
    assert r.json() == {"ended": 3}, "every session once, refreshed or not"
    for s in (a, b, c):
        assert_refused(refresh(client, s["refresh_token"]))
        assert_refused(client.get("/auth/sessions", headers=bearer(s["access_token"])))
    update = {"organization_name": name, "email": email, "password": PASSWORD}
    r = client.put("/org/update", json=update, headers=original)
    assert r.status_code == 401, "the original login's token too: " + r.text
    # A new login opens a new session, the only one.
    fresh = open_session(client, email)
    assert [i["session_id"] for i in listed(client, fresh)] == [fresh["session_id"]]
    r = client.post("/auth/logout-all", headers=bearer(fresh["access_token"]))
    assert r.status_code == 200 and r.json() == {"ended": 1}, r.text
    # Another organization's admin is not affected.
    assert refresh(client, bystander["refresh_token"]).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("GET", "/auth/sessions", None), ("POST", "/auth/logout", {"session_id": str(ObjectId())}),
     ("POST", "/auth/logout-all", None)],
)
def test_the_session_calls_need_an_access_token(client: httpx.Client, method: str, path: str, body: Any) -> None:
    r = client.request(method, path, json=body)
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json() == {"detail": "Not authenticated", "code": "UNAUTHORIZED"}
    s = open_session(client, create(client, unique("Bearer")))
    for token in ["garbage", "a.b.c", s["refresh_token"], operator()["Authorization"].split()[1]]:
        assert_refused(client.request(method, path, json=body, headers=bearer(token)))
    assert refresh(client, s["refresh_token"]).status_code == 200, "the refused calls changed nothing"


# --- suspension ----------------------------------------------------------------------------


def test_a_suspended_organization_refuses_session_logins_and_refreshes(client: httpx.Client) -> None:
    name = unique("Suspended")
    email = create(client, name)
    s = open_session(client, email)
    r = client.post("/admin/suspend", json={"organization_name": name, "reason": "unpaid invoice"}, headers=operator())
    assert r.status_code == 200, r.text
    assert_suspended(client.post("/auth/login", json={"email": email, "password": PASSWORD}))
    # A wrong password says nothing of the suspension, as on /admin/login.
    wrong = {"email": email, "password": "not-the-password"}
    r = client.post("/auth/login", json=wrong)
    original = client.post("/admin/login", json=wrong)
    assert r.status_code == original.status_code == 401, r.text
    assert r.json() == original.json()
    assert_suspended(refresh(client, s["refresh_token"]))
    assert_suspended(refresh(client, s["refresh_token"]))
    r = client.post("/admin/resume", json={"organization_name": name}, headers=operator())
    assert r.status_code == 200, r.text
    # The suspension did not use the token up.
    r = refresh(client, s["refresh_token"])
    assert r.status_code == 200, "the refresh token works again: " + r.text
    assert r.json()["session_id"] == s["session_id"]
    open_session(client, email)


def test_a_password_change_ends_the_other_sessions(client: httpx.Client) -> None:
    """Changed with a session's access token: that session goes on (a refresh renews its
    token, refused meanwhile), the other sessions end; changed with the original login's
    token (no session), every session ends."""
    name = unique("Password")
    email = create(client, name)
    mine, other = open_session(client, email), open_session(client, email)
    update = {"organization_name": name, "email": email, "password": "a-new-password-77"}
    r = client.put("/org/update", json=update, headers=bearer(mine["access_token"]))
    assert r.status_code == 200, r.text
    assert refresh(client, other["refresh_token"]).status_code == 401
    assert client.get("/auth/sessions", headers=bearer(mine["access_token"])).status_code == 401
    r = refresh(client, mine["refresh_token"])
    assert r.status_code == 200, r.text
    mine = r.json()
    assert [i["session_id"] for i in listed(client, mine)] == [mine["session_id"]]
    # Through the original login's token: this session ends too.
    original = client.post("/admin/login", json={"email": email, "password": "a-new-password-77"}).json()
    update["password"] = "a-third-password-88"
    r = client.put("/org/update", json=update, headers=bearer(original["access_token"]))
    assert r.status_code == 200, r.text
    assert refresh(client, mine["refresh_token"]).status_code == 401
