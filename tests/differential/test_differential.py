"""The three example servers answer alike: the same few hundred requests (valid, invalid,
hostile, wrong methods, duplicated parameters, HEAD) go to the Rust, FastAPI and Express
servers, each over its own database, in the same order; any difference in status, error
code, detail, error fields or the contract's headers fails the test, listing every one.

Requests that need state (a token, a tenant to act on) are built per server from what the
earlier requests of the same server returned, so the sequence means the same on each.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from conftest import PASSWORD, Servers

#: Headers of the contract, compared by presence and value (Retry-After by presence).
HEADERS = ("allow", "www-authenticate")


#: A request without a JSON body (``None`` is the JSON body ``null``).
NO_BODY: Any = object()


@dataclass
class Request:
    method: str
    path: str
    params: list[tuple[str, str]] | None = None
    body: Any = NO_BODY
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: Where to keep a value of the answer for later requests: (key, JSON field).
    keep: tuple[str, str] | None = None


#: A step: what to send, given what this server answered so far.
Step = Callable[[dict[str, str]], Request]


def fixed(request: Request) -> Step:
    return lambda _state: request


def with_token(key: str, make: Callable[[dict[str, str]], Request]) -> Step:
    def step(state: dict[str, str]) -> Request:
        request = make(state)
        request.headers["Authorization"] = f"Bearer {state.get(key, 'missing-token')}"
        return request

    return step


def outline(response: httpx.Response) -> dict[str, Any]:
    """What must be equal across servers."""
    shown: dict[str, Any] = {"status": response.status_code}
    for name in HEADERS:
        if name in response.headers:
            shown[name] = response.headers[name]
    if "retry-after" in response.headers:
        shown["retry-after"] = "present"
    if response.request.method == "HEAD":
        shown["head-body-bytes"] = len(response.content)
        return shown
    try:
        body = response.json()
    except ValueError:
        shown["body"] = "not JSON"
        return shown
    if response.status_code >= 400:
        shown["code"] = body.get("code")
        shown["detail"] = body.get("detail")
        if "field" in body:
            shown["field"] = body["field"]
        if "errors" in body:
            # The parsers' own wording differs by language; the field and the kind do not.
            shown["errors"] = [(e.get("field"), e.get("type")) for e in body["errors"]]
    else:
        shown["keys"] = sorted(body) if isinstance(body, dict) else type(body).__name__
        if isinstance(body, dict):
            for key in ("organization_name", "collection_name", "admin_email", "message", "status", "token_type"):
                if key in body:
                    shown[key] = body[key]
    return shown


def names() -> dict[str, str]:
    return {"A": "Diff Alpha", "B": "Diff Beta", "C": "Diff Gamma"}


def email(tag: str) -> str:
    return f"admin-{tag.lower()}@diff.example.com"


def steps() -> list[tuple[str, Step]]:
    n = names()
    out: list[tuple[str, Step]] = []

    def add(label: str, step: Step) -> None:
        out.append((label, step))

    # --- setup through the API itself: three tenants, two logged in -------------------
    for tag in ("A", "B", "C"):
        body = {"organization_name": n[tag], "email": email(tag), "password": PASSWORD}
        add(f"create {tag}", fixed(Request("POST", "/org/create", body=body)))
    for tag in ("A", "B", "C"):
        body = {"email": email(tag), "password": PASSWORD}
        add(f"login {tag}", fixed(Request("POST", "/admin/login", body=body, keep=(f"token{tag}", "access_token"))))

    # --- routes and methods ----------------------------------------------------------
    paths = ["/org/create", "/org/get", "/admin/login", "/org/update", "/org/delete", "/health", "/openapi.json", "/docs"]
    unknown = ["/", "/org", "/org/", "/org/get/", "/ORG/GET", "/org/get/extra", "/admin", "/nope", "/org/create.json",
               "/%2e%2e/etc/passwd", "/org/../health"]
    for path in paths:
        for method in ("GET", "POST", "PUT", "DELETE", "PATCH"):
            add(f"{method} {path} (no body)", fixed(Request(method, path)))
    for path in unknown:
        for method in ("GET", "POST", "DELETE"):
            add(f"{method} {path}", fixed(Request(method, path)))
    for path in ("/health", "/openapi.json", "/org/get?organization_name=Diff%20Alpha", "/nope", "/org/create",
                 "/org/get", "/org/get?organization_name=Nobody%20Here", "/org/delete"):
        add(f"HEAD {path}", fixed(Request("HEAD", path)))
    for path in ("/org/create", "/org/get", "/health", "/nope"):
        add(f"OPTIONS {path}", fixed(Request("OPTIONS", path)))
        add(f"TRACE {path}", fixed(Request("TRACE", path)))

    # --- GET /org/get ----------------------------------------------------------------
    get_params: list[list[tuple[str, str]]] = [
        [("organization_name", n["A"])],
        [("organization_name", n["A"].upper())],
        [("organization_name", "  diff   alpha ")],
        [("organization_name", "Diff-Alpha")],
        [("organization_name", "Nobody Here")],
        [("organization_name", "")],
        [("organization_name", "   ")],
        [("organization_name", "a$b")],
        [("organization_name", "x" * 300)],
        [("organization_name", "nul\x00byte")],
        [("organization_name", "system.users")],
        [("organization_name", "Ünïcødé Org")],
        [("organization_name", n["A"]), ("organization_name", n["B"])],
        [("organization_name", n["A"]), ("organization_name", n["A"])],
        [("organization_name[$ne]", "x")],
        [("organization_name[]", n["A"])],
        [("name", n["A"])],
        [("organization_name", n["A"]), ("extra", "1")],
        [],
    ]
    for params in get_params:
        add(f"GET /org/get {params!r:.60}", fixed(Request("GET", "/org/get", params=params)))

    # --- POST /org/create: bodies ----------------------------------------------------
    good = {"organization_name": "Diff Delta", "email": "d@diff.example.com", "password": PASSWORD}
    bodies: list[Any] = [
        {k: v for k, v in good.items() if k != "organization_name"},
        {k: v for k, v in good.items() if k != "email"},
        {k: v for k, v in good.items() if k != "password"},
        {},
        {**good, "organization_name": 42},
        {**good, "organization_name": None},
        {**good, "organization_name": ["a"]},
        {**good, "organization_name": {"$gt": ""}},
        {**good, "email": {"$ne": None}},
        {**good, "password": 12345678},
        {**good, "password": True},
        {**good, "password": 1.5},
        {**good, "organization_name": ""},
        {**good, "organization_name": "pay$day"},
        {**good, "organization_name": "!!!"},
        {**good, "organization_name": "x" * 300},
        {**good, "email": "not-an-email"},
        {**good, "email": "a@b"},
        {**good, "email": "a b@c.io"},
        {**good, "password": "short"},
        {**good, "password": "nul\x00in-password"},
        {**good, "organization_name": n["A"]},
        {**good, "organization_name": n["A"].lower()},
        {**good, "email": email("A")},
        {**good, "email": email("A").upper()},
        [good],
        "a string",
        42,
        None,
    ]
    for body in bodies:
        add(f"create {json.dumps(body)[:60]}", fixed(Request("POST", "/org/create", body=body)))
    raws = [
        b"",
        b"   ",
        b"not json",
        b'{"organization_name": "x", ',
        b'{"organization_name": "\xff\xfe", "email": "a@b.co", "password": "securepassword123"}',
        b"[" * 100 + b"]" * 100,
        b'{"organization_name": "A", "email": "a@b.co", "password": "securepassword123"} trailing',
        b"x" * (70 * 1024),
    ]
    for raw in raws:
        add(f"create raw {raw[:30]!r}", fixed(Request("POST", "/org/create", raw=raw, headers={"content-type": "application/json"})))
    add("create as text/plain", fixed(Request("POST", "/org/create", raw=json.dumps(good).encode(), headers={"content-type": "text/plain"})))
    add("create as a form", fixed(Request("POST", "/org/create", raw=b"organization_name=X&email=a%40b.co&password=securepassword123",
                                          headers={"content-type": "application/x-www-form-urlencoded"})))
    add("create gzip-labelled", fixed(Request("POST", "/org/create", raw=json.dumps(good).encode(),
                                              headers={"content-type": "application/json", "content-encoding": "gzip"})))
    add("create with a BOM", fixed(Request("POST", "/org/create", raw=b"\xef\xbb\xbf" + json.dumps(good).encode(),
                                           headers={"content-type": "application/json"})))
    add("create with duplicate keys", fixed(Request("POST", "/org/create",
        raw=b'{"organization_name": 1, "organization_name": "Diff Dup", "email": "dup@diff.example.com", "password": "securepassword123"}',
        headers={"content-type": "application/json"})))
    for i, name in enumerate(("ＤＩＦＦ ＡＬＰＨＡ", "diff\u00a0alpha", "Diff\tAlpha", "DIFF_ALPHA", "<script>alert(1)</script>",
                 "Robert'); DROP TABLE orgs;--", "org_diff_alpha", "$where", "a" * 64, "東京 Diff")):
        body = {**good, "organization_name": name, "email": f"name{i}@diff.example.com"}
        add(f"create name {name[:30]!r}", fixed(Request("POST", "/org/create", body=body)))
    add("create ok", fixed(Request("POST", "/org/create", body=good)))
    add("create again", fixed(Request("POST", "/org/create", body=good)))

    # --- POST /admin/login -----------------------------------------------------------
    logins: list[Any] = [
        {"email": email("B"), "password": "wrong-password"},
        {"email": "nobody@diff.example.com", "password": PASSWORD},
        {"email": "not an email", "password": PASSWORD},
        {"email": email("B")},
        {"password": PASSWORD},
        {"email": {"$ne": None}, "password": {"$ne": None}},
        {"email": email("B"), "password": None},
        [],
        {"email": email("B").upper(), "password": PASSWORD},
    ]
    for body in logins:
        add(f"login {json.dumps(body)[:60]}", fixed(Request("POST", "/admin/login", body=body)))
    for forwarded in ("203.0.113.9", "203.0.113.9, 10.0.0.1", "not-an-ip", "::1"):
        body = {"email": email("B"), "password": "wrong-but-forwarded"}
        add(f"login from {forwarded}", fixed(Request("POST", "/admin/login", body=body, headers={"x-forwarded-for": forwarded})))
    add("login raw garbage", fixed(Request("POST", "/admin/login", raw=b"{{", headers={"content-type": "application/json"})))

    # --- PUT /org/update -------------------------------------------------------------
    upd = {"organization_name": n["A"], "email": email("A"), "password": PASSWORD}
    add("update without token", fixed(Request("PUT", "/org/update", body=upd)))
    add("update without token, bad body", fixed(Request("PUT", "/org/update", raw=b"{", headers={"content-type": "application/json"})))
    for header in ("Basic abc", "Bearer", "bearer  garbage", "Token x", "Bearer a.b.c",
                   "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0."):
        add(f"update with {header!r}", fixed(Request("PUT", "/org/update", body=upd, headers={"Authorization": header})))
    add("update garbage token, bad body", fixed(Request("PUT", "/org/update", raw=b"{", headers={"Authorization": "Bearer garbage", "content-type": "application/json"})))
    add("update garbage token, missing field", fixed(Request("PUT", "/org/update", body={"email": "x@y.io"}, headers={"Authorization": "Bearer garbage"})))
    for body in (
        {k: v for k, v in upd.items() if k != "password"},
        {**upd, "email": 5},
        {**upd, "new_organization_name": 5},
        {**upd, "email": "not-an-email"},
        {**upd, "password": "short"},
        {**upd, "new_organization_name": "a$b"},
        {**upd, "new_organization_name": n["B"]},
        {**upd, "new_organization_name": n["B"].upper()},
        {**upd, "email": email("B")},
        {**upd, "organization_name": n["B"]},
        {**upd, "organization_name": "Nobody Here"},
        {**upd, "organization_name": "a$b"},
        {**upd, "new_organization_name": None},
        {**upd, "organization_name": n["A"].lower(), "email": "alpha2@diff.example.com"},
    ):
        add(f"update A {json.dumps(body)[:70]}", with_token("tokenA", lambda _s, b=body: Request("PUT", "/org/update", body=b)))
    add("update A rename", with_token("tokenA", lambda _s: Request("PUT", "/org/update", body={
        "organization_name": n["A"], "email": "alpha2@diff.example.com", "password": PASSWORD,
        "new_organization_name": "Diff Alpha Two"})))
    add("get old name after rename", fixed(Request("GET", "/org/get", params=[("organization_name", n["A"])])))
    add("get new name after rename", fixed(Request("GET", "/org/get", params=[("organization_name", "Diff Alpha Two")])))
    add("update A by its old name", with_token("tokenA", lambda _s: Request("PUT", "/org/update", body={**upd, "email": "alpha2@diff.example.com"})))
    add("update A password", with_token("tokenA", lambda _s: Request("PUT", "/org/update", body={
        "organization_name": "Diff Alpha Two", "email": "alpha2@diff.example.com", "password": "a-new-password-1"})))
    add("update A with its revoked token", with_token("tokenA", lambda _s: Request("PUT", "/org/update", body={
        "organization_name": "Diff Alpha Two", "email": "alpha2@diff.example.com", "password": PASSWORD})))
    add("login A old password", fixed(Request("POST", "/admin/login", body={"email": "alpha2@diff.example.com", "password": PASSWORD})))
    add("login A new password", fixed(Request("POST", "/admin/login", body={"email": "alpha2@diff.example.com", "password": "a-new-password-1"}, keep=("tokenA", "access_token"))))

    # --- DELETE /org/delete ----------------------------------------------------------
    add("delete without token", fixed(Request("DELETE", "/org/delete", params=[("organization_name", n["B"])])))
    add("delete garbage token", fixed(Request("DELETE", "/org/delete", params=[("organization_name", n["B"])], headers={"Authorization": "Bearer x"})))
    add("delete without token or name", fixed(Request("DELETE", "/org/delete")))
    for params in (
        [],
        [("organization_name", "")],
        [("organization_name", n["C"])],
        [("organization_name", "Nobody Here")],
        [("organization_name", "a$b")],
        [("organization_name", n["B"]), ("organization_name", n["C"])],
        [("organization_name[$ne]", "x")],
    ):
        add(f"delete B {params!r:.60}", with_token("tokenB", lambda _s, p=params: Request("DELETE", "/org/delete", params=p)))
    add("delete B", with_token("tokenB", lambda _s: Request("DELETE", "/org/delete", params=[("organization_name", n["B"].lower())])))
    add("delete B again", with_token("tokenB", lambda _s: Request("DELETE", "/org/delete", params=[("organization_name", n["B"])])))
    add("get B after delete", fixed(Request("GET", "/org/get", params=[("organization_name", n["B"])])))
    add("login B after delete", fixed(Request("POST", "/admin/login", body={"email": email("B"), "password": PASSWORD})))
    add("create B again", fixed(Request("POST", "/org/create", body={"organization_name": n["B"], "email": email("B"), "password": PASSWORD})))
    add("old B token on the new B", with_token("tokenB", lambda _s: Request("DELETE", "/org/delete", params=[("organization_name", n["B"])])))
    add("A's token on C", with_token("tokenA", lambda _s: Request("DELETE", "/org/delete", params=[("organization_name", n["C"])])))

    # --- throttling: the same sequence locks the same email on every server ----------
    for i in range(11):
        add(f"wrong password {i}", fixed(Request("POST", "/admin/login", body={"email": email("C"), "password": f"wrong-{i}-pass"})))
    add("right password while locked", fixed(Request("POST", "/admin/login", body={"email": email("C"), "password": PASSWORD})))

    # --- the rest --------------------------------------------------------------------
    add("health", fixed(Request("GET", "/health")))
    add("health with query", fixed(Request("GET", "/health", params=[("x", "1")])))
    add("openapi", fixed(Request("GET", "/openapi.json")))
    return out


def send(client: httpx.Client, request: Request) -> httpx.Response:
    headers = dict(request.headers)
    content = request.raw
    if request.body is not NO_BODY:
        content = json.dumps(request.body).encode()
        headers.setdefault("content-type", "application/json")
    return client.request(request.method, request.path, params=request.params, content=content, headers=headers)


def test_three_servers_answer_alike(servers: Servers) -> None:
    plan = steps()
    assert len(plan) >= 200, len(plan)
    answers: dict[str, list[dict[str, Any]]] = {}
    for name, base_url in servers.urls.items():
        state: dict[str, str] = {}
        got: list[dict[str, Any]] = []
        with httpx.Client(base_url=base_url, timeout=30) as client:
            for label, step in plan:
                request = step(state)
                response = send(client, request)
                got.append(outline(response))
                if request.keep and response.status_code < 300:
                    state[request.keep[0]] = response.json()[request.keep[1]]
        servers.assert_alive()
        answers[name] = got
    reference, *others = servers.urls
    differences = []
    for i, (label, _step) in enumerate(plan):
        seen = {name: answers[name][i] for name in servers.urls}
        if any(seen[other] != seen[reference] for other in others):
            differences.append(f"#{i} {label}:\n" + "\n".join(f"    {n:8} {seen[n]}" for n in servers.urls))
    assert not differences, f"{len(differences)} of {len(plan)} requests answered differently:\n" + "\n".join(differences)
