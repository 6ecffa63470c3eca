"""The signing-keys extension (tag "keys"): the published keys that verify access tokens
(`GET /.well-known/jwks.json`, no authorization), and the operator's view of the signing
keys and their rotation (`GET /admin/keys`, `POST /admin/keys/rotate`).

Tokens name their key in a `kid` header. With an HMAC algorithm (the suite's server) the
key is the secret: nothing is published and there is nothing to rotate. With
`JWT_ALGO=EdDSA` (a server of this module) tokens verify with the JWKS document alone, here
with PyJWT; a rotated key is published at once and signs only after
`SIGNING_KEY_LEAD_SECONDS`, and the key it replaces keeps verifying its tokens."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import jwt
import pymongo
import pytest

from conftest import JWT_SECRET, PASSWORD, Server, mongo_uri, start_server, unique
from servers import Process, healthy
from test_contract import assert_other_methods_are_405, assert_validation_error, bearer, parse_time
from test_extensions import create, operator

#: What the EdDSA servers are given: the key sealing the private keys, a one-second lead,
#: and an issuer and audience that tokens must carry.
SIGNING_KEY_SECRET = "contract-signing-key-secret-0123456789ab"
ISSUER = "https://issuer.contract.example"
AUDIENCE = "contract-suite"
EDDSA_ENV = dict(
    JWT_ALGO="EdDSA",
    SIGNING_KEY_SECRET=SIGNING_KEY_SECRET,
    SIGNING_KEY_LEAD_SECONDS="1",
    JWT_ISSUER=ISSUER,
    JWT_AUDIENCE=AUDIENCE,
)
JWK_KEYS = {"kty", "crv", "x", "kid", "alg", "use"}
SIGNING_KEY_KEYS = {"kid", "alg", "created_at", "activates_at", "retires_at", "verifies_until"}
CACHE_CONTROL = "public, max-age=60"
UNAUTHORIZED = {"detail": "Could not validate credentials", "code": "UNAUTHORIZED"}

#: Each path of the extension with the one method it takes.
ROUTES = [
    ("/.well-known/jwks.json", "get"),
    ("/admin/keys", "get"),
    ("/admin/keys/rotate", "post"),
]
OPERATOR_ROUTES = [("GET", "/admin/keys"), ("POST", "/admin/keys/rotate")]


# --- servers -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def eddsa_server(
    request: pytest.FixtureRequest,
    mongo: pymongo.MongoClient[dict[str, Any]],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Server]:
    """A server signing with EdDSA; its keys are never rotated (see `rotating`)."""
    yield from start_server(request, mongo, tmp_path_factory, **EDDSA_ENV)


@pytest.fixture
def eddsa(eddsa_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=eddsa_server.base_url, timeout=30) as c:
        yield c
    eddsa_server.assert_alive()


@pytest.fixture
def rotating(
    request: pytest.FixtureRequest,
    mongo: pymongo.MongoClient[dict[str, Any]],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[httpx.Client]:
    """A client of a fresh EdDSA server, over a database of its own, for one test's rotations."""
    servers = start_server(request, mongo, tmp_path_factory, **EDDSA_ENV)
    server = next(servers)
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as c:
            yield c
        server.assert_alive()
    finally:
        next(servers, None)


@pytest.fixture(scope="module")
def closed(
    request: pytest.FixtureRequest,
    mongo: pymongo.MongoClient[dict[str, Any]],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[httpx.Client]:
    """A client of a server without OPERATOR_TOKEN: operator calls are off."""
    master_db = f"contract_{uuid.uuid4().hex[:12]}"
    env = dict(MONGO_URI=mongo_uri(), MASTER_DB=master_db, JWT_SECRET=JWT_SECRET, BCRYPT_COST="4", OPERATOR_TOKEN="")
    process = Process(request.config.getoption("--server-cmd"), tmp_path_factory.mktemp("server") / "server.log", env)
    try:
        process.wait_ready(healthy)
        with httpx.Client(base_url=process.url, timeout=30) as c:
            yield c
        process.assert_alive()
    finally:
        process.stop()
        mongo.drop_database(master_db)


# --- helpers -------------------------------------------------------------------------------


def admin_token(client: httpx.Client, email: str) -> str:
    """An access token of `POST /admin/login`."""
    r = client.post("/admin/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    token: str = r.json()["access_token"]
    return token


def session_token(client: httpx.Client, email: str) -> str:
    """An access token of `POST /auth/login`."""
    r = client.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    token: str = r.json()["access_token"]
    return token


def kid_of(token: str) -> str:
    kid = jwt.get_unverified_header(token).get("kid")
    assert isinstance(kid, str) and kid, token
    return kid


def jwks(client: httpx.Client) -> dict[str, Any]:
    """`GET /.well-known/jwks.json`, checked for its header."""
    r = client.get("/.well-known/jwks.json")
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == CACHE_CONTROL
    document: dict[str, Any] = r.json()
    return document


def verify_with_jwks(document: dict[str, Any], token: str) -> dict[str, Any]:
    """The token's claims, verified with PyJWT from the JWKS document alone (its `kid` picks
    the key; EdDSA only; the issuer and audience required)."""
    key = jwt.PyJWKSet.from_dict(document)[kid_of(token)]
    claims: dict[str, Any] = jwt.decode(
        token, key, algorithms=["EdDSA"], audience=AUDIENCE, issuer=ISSUER,
        options={"require": ["exp", "iat", "sub", "iss", "aud"]},
    )
    return claims


def authorized(client: httpx.Client, token: str) -> httpx.Response:
    """A call the token authorizes (any valid access token lists its admin's sessions)."""
    return client.get("/auth/sessions", headers=bearer(token))


def assert_refused(r: httpx.Response) -> None:
    assert r.status_code == 401, r.text
    assert r.json() == UNAUTHORIZED
    assert r.headers["www-authenticate"] == "Bearer"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def tampered(token: str, **changes: Any) -> str:
    """The token with its payload changed and its signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    return ".".join([header, b64(json.dumps(claims, separators=(",", ":")).encode()), signature])


def listed_keys(client: httpx.Client) -> list[dict[str, Any]]:
    r = client.get("/admin/keys", headers=operator())
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"keys"}, body
    keys: list[dict[str, Any]] = body["keys"]
    for key in keys:
        assert set(key) == SIGNING_KEY_KEYS, key
        assert key["alg"] == "EdDSA"
    return keys


def assert_published(document: dict[str, Any]) -> None:
    for key in document["keys"]:
        assert set(key) == JWK_KEYS, key
        assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("OKP", "Ed25519", "EdDSA", "sig"), key
        assert isinstance(key["kid"], str) and key["kid"]
        assert isinstance(key["x"], str) and len(base64.urlsafe_b64decode(key["x"] + "==")) == 32


# --- the OpenAPI document and the methods ------------------------------------------------


def test_openapi_document_lists_the_key_endpoints(client: httpx.Client) -> None:
    doc = client.get("/openapi.json").json()
    for path, method in ROUTES:
        assert path in doc["paths"], path
        assert method in doc["paths"][path], (path, method)
        assert "keys" in doc["paths"][path][method].get("tags", []), path
        assert "200" in doc["paths"][path][method]["responses"], path


@pytest.mark.parametrize(("path", "method"), ROUTES)
def test_other_methods_are_405_with_allow(client: httpx.Client, path: str, method: str) -> None:
    assert_other_methods_are_405(client, path, [method])


# --- an HMAC algorithm (the suite's server) ------------------------------------------------


def test_nothing_is_published_with_an_hmac_algorithm(client: httpx.Client) -> None:
    r = client.get("/.well-known/jwks.json")
    assert r.status_code == 200, r.text
    assert r.json() == {"keys": []}
    assert r.headers["cache-control"] == CACHE_CONTROL
    assert r.headers["content-type"].startswith("application/json")
    # No authorization is asked for, and a token changes nothing.
    r = client.get("/.well-known/jwks.json", headers=operator())
    assert r.status_code == 200 and r.json() == {"keys": []}, r.text


def test_hmac_tokens_carry_a_kid_and_verify_as_before(client: httpx.Client) -> None:
    name = unique("Kid")
    email = create(client, name)
    original = admin_token(client, email)
    session = session_token(client, email)
    header = jwt.get_unverified_header(original)
    assert header["alg"] == "HS256"
    # One key, the secret: every token names it.
    assert kid_of(original) == kid_of(session)
    # Signed with the secret, as before; the kid changes nothing of that.
    assert jwt.decode(original, JWT_SECRET, algorithms=["HS256"])["sub"]
    for token in [original, session]:
        assert authorized(client, token).status_code == 200
    update = {"organization_name": name, "email": email, "password": PASSWORD}
    r = client.put("/org/update", json=update, headers=bearer(original))
    assert r.status_code == 200, r.text


def test_hmac_tokens_without_a_kid_still_verify_and_another_kid_is_refused(client: httpx.Client) -> None:
    token = admin_token(client, create(client, unique("NoKid")))
    claims = jwt.decode(token, JWT_SECRET, algorithms=["HS256"])
    # A token issued before tokens carried a kid: the same claims, the same secret.
    legacy = jwt.encode(claims, JWT_SECRET, algorithm="HS256")
    assert "kid" not in jwt.get_unverified_header(legacy)
    assert authorized(client, legacy).status_code == 200
    # The right secret under another key's name is not the key it names.
    other = jwt.encode(claims, JWT_SECRET, algorithm="HS256", headers={"kid": "another-key"})
    assert_refused(authorized(client, other))


@pytest.mark.parametrize(("method", "path"), OPERATOR_ROUTES)
def test_keys_are_not_listed_or_rotated_with_an_hmac_algorithm(client: httpx.Client, method: str, path: str) -> None:
    r = client.request(method, path, headers=operator())
    assert_validation_error(r, "jwt_algorithm")
    assert client.get("/.well-known/jwks.json").json() == {"keys": []}


@pytest.mark.parametrize(("method", "path"), OPERATOR_ROUTES)
def test_key_calls_need_the_operator_token(client: httpx.Client, method: str, path: str) -> None:
    r = client.request(method, path)
    assert r.status_code == 401, r.text
    assert r.headers.get("www-authenticate", "").lower().startswith("bearer")
    r = client.request(method, path, headers=operator("not-the-operator-token-at-all"))
    assert r.status_code == 401, r.text
    token = admin_token(client, create(client, unique("NotOperator")))
    r = client.request(method, path, headers=bearer(token))
    assert r.status_code == 401, "a tenant admin's token is not an operator's"


@pytest.mark.parametrize(("method", "path"), OPERATOR_ROUTES)
def test_key_calls_are_off_without_an_operator_token(closed: httpx.Client, method: str, path: str) -> None:
    r = closed.request(method, path, headers=operator())
    assert r.status_code == 403, r.text
    assert r.json()["code"] == "FORBIDDEN"
    # The published keys are not an operator call.
    assert closed.get("/.well-known/jwks.json").status_code == 200


# --- EdDSA ---------------------------------------------------------------------------------


def test_eddsa_publishes_one_key_and_lists_it(eddsa: httpx.Client) -> None:
    document = jwks(eddsa)
    assert set(document) == {"keys"}
    assert len(document["keys"]) == 1, document
    assert_published(document)
    [key] = listed_keys(eddsa)
    assert key["kid"] == document["keys"][0]["kid"]
    assert key["retires_at"] is None and key["verifies_until"] is None, "the newest key"
    # The first key signs from when it is made.
    created, activates = parse_time(key["created_at"]), parse_time(key["activates_at"])
    assert abs(activates - created) < timedelta(seconds=5), key
    assert activates <= datetime.now(timezone.utc)


def test_eddsa_tokens_verify_with_the_jwks_alone(eddsa: httpx.Client) -> None:
    name = unique("Eddsa")
    email = create(eddsa, name)
    original = admin_token(eddsa, email)
    session = session_token(eddsa, email)
    document = jwks(eddsa)
    published = {k["kid"] for k in document["keys"]}
    for token in [original, session]:
        header = jwt.get_unverified_header(token)
        assert header["alg"] == "EdDSA"
        assert kid_of(token) in published
        claims = verify_with_jwks(document, token)
        assert (claims["iss"], claims["aud"], claims["org_name"]) == (ISSUER, AUDIENCE, name)
        assert authorized(eddsa, token).status_code == 200
    update = {"organization_name": name, "email": email, "password": PASSWORD}
    r = eddsa.put("/org/update", json=update, headers=bearer(original))
    assert r.status_code == 200, r.text


def test_a_tampered_eddsa_token_is_refused(eddsa: httpx.Client) -> None:
    name = unique("Tampered")
    token = admin_token(eddsa, create(eddsa, name))
    other = unique("Victim")
    create(eddsa, other)
    document = jwks(eddsa)
    exp = jwt.decode(token, options={"verify_signature": False})["exp"]
    for forged in [tampered(token, org_name=other), tampered(token, exp=exp + 3600)]:
        with pytest.raises(jwt.InvalidSignatureError):
            verify_with_jwks(document, forged)
        assert_refused(authorized(eddsa, forged))
    # Another signature altogether: the last byte of the signature flipped.
    head, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[-1] ^= 1
    flipped = ".".join([head, payload, b64(bytes(raw))])
    with pytest.raises(jwt.InvalidSignatureError):
        verify_with_jwks(document, flipped)
    assert_refused(authorized(eddsa, flipped))
    assert authorized(eddsa, token).status_code == 200, "the genuine token still works"


def test_an_hmac_token_naming_an_eddsa_key_is_refused(eddsa: httpx.Client) -> None:
    token = admin_token(eddsa, create(eddsa, unique("Confused")))
    kid = kid_of(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    [public] = [k["x"] for k in jwks(eddsa)["keys"] if k["kid"] == kid]
    # Signed HS256 with the suite's JWT_SECRET, the signing-key secret, or the public key
    # itself (algorithm confusion), under the EdDSA key's name; and unsigned.
    for secret in [JWT_SECRET, SIGNING_KEY_SECRET, public]:
        forged = jwt.encode(claims, secret, algorithm="HS256", headers={"kid": kid})
        assert_refused(authorized(eddsa, forged))
    unsigned = jwt.encode(claims, "", algorithm="none", headers={"kid": kid})
    assert_refused(authorized(eddsa, unsigned))
    assert authorized(eddsa, token).status_code == 200


def test_a_rotated_key_is_published_first_and_the_old_one_verifies_through_the_overlap(rotating: httpx.Client) -> None:
    email = create(rotating, unique("Rotated"))
    before = admin_token(rotating, email)
    old = kid_of(before)
    assert [k["kid"] for k in jwks(rotating)["keys"]] == [old]

    r = rotating.post("/admin/keys/rotate", headers=operator())
    assert r.status_code == 200, r.text
    new_key = r.json()
    assert set(new_key) == SIGNING_KEY_KEYS
    new = new_key["kid"]
    assert new != old and new_key["alg"] == "EdDSA"
    assert new_key["retires_at"] is None and new_key["verifies_until"] is None
    created, activates = parse_time(new_key["created_at"]), parse_time(new_key["activates_at"])
    assert timedelta(seconds=0.5) <= activates - created <= timedelta(seconds=1.5), new_key
    # Published at once, beside the key that still signs.
    document = jwks(rotating)
    assert_published(document)
    assert {k["kid"] for k in document["keys"]} == {old, new}
    # Tokens issued within the lead are the old key's.
    during = admin_token(rotating, email)
    during_session = session_token(rotating, email)
    assert datetime.now(timezone.utc) < activates, "the lead passed before the logins answered"
    assert kid_of(during) == kid_of(during_session) == old

    time.sleep(max(0.0, (activates - datetime.now(timezone.utc)).total_seconds()) + 0.3)
    after = admin_token(rotating, email)
    after_session = session_token(rotating, email)
    assert kid_of(after) == kid_of(after_session) == new
    # The overlap: both keys published, every token verifying, at the server and with the
    # JWKS alone.
    document = jwks(rotating)
    assert {k["kid"] for k in document["keys"]} == {old, new}
    for token in [before, during, during_session, after, after_session]:
        verify_with_jwks(document, token)
        assert authorized(rotating, token).status_code == 200

    keys = listed_keys(rotating)
    assert [k["kid"] for k in keys] == [old, new], "oldest first"
    first, second = keys
    assert parse_time(first["retires_at"]) == parse_time(second["activates_at"]) == activates
    assert parse_time(first["verifies_until"]) > parse_time(first["retires_at"])
    assert second["retires_at"] is None and second["verifies_until"] is None
    assert second["created_at"] == new_key["created_at"]


def test_rotate_takes_no_body_and_each_rotation_adds_a_key(rotating: httpx.Client) -> None:
    first = jwks(rotating)["keys"]
    assert len(first) == 1
    made = []
    for content, headers in [(b"", {}), (b"{}", {"content-type": "application/json"})]:
        r = rotating.post("/admin/keys/rotate", content=content, headers={**operator(), **headers})
        assert r.status_code == 200, r.text
        made.append(r.json()["kid"])
    assert len(set(made)) == 2
    published = [k["kid"] for k in jwks(rotating)["keys"]]
    assert sorted(published) == sorted([first[0]["kid"], *made])
    assert [k["kid"] for k in listed_keys(rotating)] == [first[0]["kid"], *made]
