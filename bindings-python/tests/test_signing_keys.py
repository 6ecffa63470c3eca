"""Signing keys through the binding: every token names its key in a ``kid`` header. With an
HMAC algorithm nothing is published (``jwks()`` is ``{"keys": []}``) and there is nothing to
list or rotate (``InvalidInput``); with ``EdDSA`` tokens verify with PyJWT from the
``jwks()`` document alone, a tampered one fails there and at ``verify_token``, and a rotated
key is published at once, signs only after ``signing_key_lead_seconds`` while the key it
replaces keeps verifying its tokens; ``SigningKeyInfo`` is typed plain data; the
``signing_key_secret`` is never shown; and the glue answers with the core's bodies."""

from __future__ import annotations

import asyncio
import base64
import json
import pickle
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt
import pytest

import tenantry.fastapi as glue
from tenantry import ConfigError, InvalidInput, SigningKeyInfo, TenantManager, Unauthorized

from conftest import JWT_SECRET, PASSWORD, connect, create

SIGNING_KEY_SECRET = "binding-signing-key-secret-0123456789abcdef"
#: The suite's JWT_SECRET is shorter than PyJWT recommends for HS256 (it is the core's key
#: here; PyJWT only re-signs and checks with it).
pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
JWK_KEYS = {"kty", "crv", "x", "kid", "alg", "use"}


async def connect_eddsa(master_db: str, **settings: Any) -> TenantManager:
    return await connect(
        master_db, jwt_algorithm="EdDSA", signing_key_secret=SIGNING_KEY_SECRET, signing_key_lead_seconds=1, **settings
    )


@pytest.fixture
async def eddsa(master_db: str) -> AsyncIterator[TenantManager]:
    manager = await connect_eddsa(master_db)
    yield manager
    await manager.aclose()


def kid_of(token: str) -> str:
    kid = jwt.get_unverified_header(token).get("kid")
    assert isinstance(kid, str) and kid, token
    return kid


def verify_with_jwks(document: dict[str, Any], token: str) -> dict[str, Any]:
    """The token's claims, verified with PyJWT from the JWKS document alone."""
    key = jwt.PyJWKSet.from_dict(document)[kid_of(token)]
    claims: dict[str, Any] = jwt.decode(token, key, algorithms=["EdDSA"], options={"require": ["exp", "iat", "sub"]})
    return claims


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def tampered(token: str, **changes: Any) -> str:
    """The token with its payload changed and its signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    return ".".join([header, b64(json.dumps(claims, separators=(",", ":")).encode()), signature])


async def login(manager: TenantManager, email: str) -> str:
    return (await manager.authenticate(email, PASSWORD)).access_token


# --- HMAC ----------------------------------------------------------------------------------


async def test_nothing_is_published_or_rotated_with_hmac(manager: TenantManager) -> None:
    document = await manager.jwks()
    assert document == {"keys": []} and isinstance(document, dict)
    for call in (manager.signing_keys, manager.rotate_signing_key):
        pending = call()  # refused when awaited, as every error
        with pytest.raises(InvalidInput) as caught:
            await pending
        assert (caught.value.code, caught.value.field) == ("INVALID_INPUT", "jwt_algorithm")
        assert isinstance(caught.value, ValueError)
    assert await manager.jwks() == {"keys": []}


async def test_hmac_tokens_carry_a_kid(manager: TenantManager) -> None:
    made = await create(manager)
    token = await login(manager, made.email)
    session = await manager.login_session(made.email, PASSWORD)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "HS256"
    # One key, the secret: every token names it.
    assert kid_of(token) == kid_of(session.access.access_token)
    assert jwt.decode(token, JWT_SECRET, algorithms=["HS256"], options={"verify_aud": False})["sub"]
    claims = await manager.verify_token(token)
    assert claims.tenant_id == made.tenant.id
    # A token of before there were kids: the same claims and secret, no kid, still verifies.
    payload = jwt.decode(token, JWT_SECRET, algorithms=["HS256"], options={"verify_aud": False})
    legacy = jwt.encode(payload, JWT_SECRET, algorithm="HS256")
    assert "kid" not in jwt.get_unverified_header(legacy)
    assert (await manager.verify_token(legacy)).tenant_id == made.tenant.id


# --- EdDSA ---------------------------------------------------------------------------------


async def test_eddsa_tokens_verify_with_the_jwks_alone(eddsa: TenantManager) -> None:
    made = await create(eddsa)
    token = await login(eddsa, made.email)
    session = await eddsa.login_session(made.email, PASSWORD)
    document = await eddsa.jwks()
    assert set(document) == {"keys"} and len(document["keys"]) == 1, document
    (jwk,) = document["keys"]
    assert set(jwk) == JWK_KEYS
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")
    assert len(base64.urlsafe_b64decode(jwk["x"] + "==")) == 32
    for access in (token, session.access.access_token):
        assert jwt.get_unverified_header(access)["alg"] == "EdDSA"
        assert kid_of(access) == jwk["kid"]
        claims = verify_with_jwks(document, access)
        assert claims["org_name"] == made.tenant.name
        assert (await eddsa.verify_token(access)).tenant_id == made.tenant.id
    # No private half anywhere in what is published.
    assert "d" not in jwk and SIGNING_KEY_SECRET not in json.dumps(document)


async def test_a_tampered_eddsa_token_fails_pyjwt_and_verify_token(eddsa: TenantManager) -> None:
    made, other = await create(eddsa), await create(eddsa)
    token = await login(eddsa, made.email)
    document = await eddsa.jwks()
    exp = jwt.decode(token, options={"verify_signature": False})["exp"]
    head, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[-1] ^= 1
    flipped = ".".join([head, payload, b64(bytes(raw))])
    for forged in (tampered(token, org_name=other.tenant.name), tampered(token, exp=exp + 3600), flipped):
        with pytest.raises(jwt.InvalidSignatureError):
            verify_with_jwks(document, forged)
        with pytest.raises(Unauthorized):
            await eddsa.verify_token(forged)
        with pytest.raises(Unauthorized):
            eddsa.decode_token(forged)
    # An HMAC token naming the EdDSA key (algorithm confusion) is refused too.
    claims = jwt.decode(token, options={"verify_signature": False})
    for secret in (JWT_SECRET, document["keys"][0]["x"]):
        confused = jwt.encode(claims, secret, algorithm="HS256", headers={"kid": kid_of(token)})
        with pytest.raises(Unauthorized):
            await eddsa.verify_token(confused)
    assert (await eddsa.verify_token(token)).tenant_id == made.tenant.id, "the genuine one still verifies"


async def test_the_first_key_signs_at_once_and_is_listed(eddsa: TenantManager) -> None:
    (key,) = await eddsa.signing_keys()
    assert isinstance(key, SigningKeyInfo)
    assert [k["kid"] for k in (await eddsa.jwks())["keys"]] == [key.kid]
    assert key.algorithm == "EdDSA"
    assert key.created_at.tzinfo == timezone.utc and key.activates_at.tzinfo == timezone.utc
    assert abs(key.activates_at - key.created_at) < timedelta(seconds=5)
    assert key.activates_at <= datetime.now(timezone.utc)
    assert key.retires_at is None and key.verifies_until is None, "the newest key"


async def test_a_rotated_key_is_published_first_and_the_old_one_keeps_verifying(eddsa: TenantManager) -> None:
    made = await create(eddsa)
    before = await login(eddsa, made.email)
    old = kid_of(before)

    new_key = await eddsa.rotate_signing_key()
    assert isinstance(new_key, SigningKeyInfo)
    assert new_key.kid != old and new_key.algorithm == "EdDSA"
    assert new_key.retires_at is None and new_key.verifies_until is None
    assert timedelta(seconds=0.5) <= new_key.activates_at - new_key.created_at <= timedelta(seconds=1.5), new_key
    # Published at once, beside the key that still signs.
    assert {k["kid"] for k in (await eddsa.jwks())["keys"]} == {old, new_key.kid}
    # Tokens issued within the lead are the old key's.
    during = await login(eddsa, made.email)
    assert datetime.now(timezone.utc) < new_key.activates_at, "the lead passed before the login answered"
    assert kid_of(during) == old

    await asyncio.sleep(max(0.0, (new_key.activates_at - datetime.now(timezone.utc)).total_seconds()) + 0.3)
    after = await login(eddsa, made.email)
    assert kid_of(after) == new_key.kid
    # The overlap: both published, every token verifying, with the JWKS alone and here.
    document = await eddsa.jwks()
    assert {k["kid"] for k in document["keys"]} == {old, new_key.kid}
    for token in (before, during, after):
        verify_with_jwks(document, token)
        assert (await eddsa.verify_token(token)).tenant_id == made.tenant.id
        assert eddsa.decode_token(token).tenant_id == made.tenant.id

    first, second = await eddsa.signing_keys()
    assert (first.kid, second.kid) == (old, new_key.kid), "oldest first"
    assert first.retires_at == second.activates_at == new_key.activates_at
    assert first.verifies_until is not None and first.verifies_until > first.retires_at
    # The overlap lasts the longest token lifetime (a day) and the leeway after retirement.
    assert first.verifies_until - first.retires_at >= timedelta(hours=24)
    assert second == new_key and second.retires_at is None and second.verifies_until is None


async def test_another_manager_on_the_same_database_verifies_the_tokens(master_db: str, eddsa: TenantManager) -> None:
    made = await create(eddsa)
    await eddsa.rotate_signing_key()
    token = await login(eddsa, made.email)
    other = await connect_eddsa(master_db)
    try:
        assert await other.jwks() == await eddsa.jwks()
        assert [k.kid for k in await other.signing_keys()] == [k.kid for k in await eddsa.signing_keys()]
        assert (await other.verify_token(token)).tenant_id == made.tenant.id
    finally:
        await other.aclose()


async def test_signing_key_info_is_typed_plain_data(eddsa: TenantManager) -> None:
    await eddsa.rotate_signing_key()
    first, second = await eddsa.signing_keys()
    for key in (first, second):
        assert isinstance(key.kid, str) and isinstance(key.algorithm, str)
        assert isinstance(key.created_at, datetime) and isinstance(key.activates_at, datetime)
    assert isinstance(first.retires_at, datetime) and isinstance(first.verifies_until, datetime)
    assert first.retires_at.tzinfo == timezone.utc and first.verifies_until.tzinfo == timezone.utc
    assert first.to_dict() == {
        "kid": first.kid,
        "algorithm": "EdDSA",
        "created_at": first.created_at,
        "activates_at": first.activates_at,
        "retires_at": first.retires_at,
        "verifies_until": first.verifies_until,
    }
    assert second.to_dict()["retires_at"] is None
    text = repr(first)
    assert text.startswith("SigningKeyInfo(") and repr(first.kid) in text and "'EdDSA'" in text
    shown = dict(re.findall(r"(\w+)='([^']*)'", text))
    assert (shown["kid"], shown["algorithm"]) == (first.kid, "EdDSA")
    for name in ("created_at", "activates_at", "retires_at", "verifies_until"):
        assert datetime.fromisoformat(shown[name]) == getattr(first, name), name
    assert repr(second).endswith("retires_at=None, verifies_until=None)")
    assert SIGNING_KEY_SECRET not in text
    # Frozen, comparable, hashable; not picklable (the core does not serialize it).
    with pytest.raises(AttributeError):
        first.kid = "another"  # type: ignore[misc]
    assert first == (await eddsa.signing_keys())[0] and first != second
    assert {first: 1}[(await eddsa.signing_keys())[0]] == 1
    with pytest.raises(TypeError):
        pickle.dumps(first)
    with pytest.raises(TypeError):
        SigningKeyInfo()  # only the core makes one


async def test_the_signing_key_secret_is_never_shown(eddsa: TenantManager) -> None:
    settings = eddsa.settings
    assert settings["jwt_algorithm"] == "EdDSA" and settings["signing_key_lead_seconds"] == 1
    assert "signing_key_secret" not in settings or settings["signing_key_secret"] is None
    assert "jwt_secret" not in settings or settings["jwt_secret"] is None
    for text in (repr(settings), str(settings), repr(eddsa), str(eddsa)):
        assert SIGNING_KEY_SECRET not in text and JWT_SECRET not in text
    for key in await eddsa.signing_keys():
        assert SIGNING_KEY_SECRET not in repr(key) and SIGNING_KEY_SECRET not in str(key.to_dict())
    assert SIGNING_KEY_SECRET not in json.dumps(await eddsa.jwks())


@pytest.mark.parametrize(
    "bad",
    [
        {"jwt_algorithm": "EdDSA"},  # no signing_key_secret
        {"jwt_algorithm": "EdDSA", "signing_key_secret": "too-short"},
        {"jwt_algorithm": "EdDSA", "signing_key_secret": SIGNING_KEY_SECRET, "signing_key_lead_seconds": 0},
    ],
)
async def test_bad_signing_key_settings_are_config_errors(master_db: str, bad: dict[str, Any]) -> None:
    with pytest.raises(ConfigError) as caught:
        await connect(master_db, **bad)
    assert SIGNING_KEY_SECRET not in str(caught.value)


async def test_the_glue_answers_with_the_cores_bodies(eddsa: TenantManager) -> None:
    (only,) = await eddsa.signing_keys()
    rotated = await eddsa.rotate_signing_key()
    body = glue.signing_key_body(rotated)
    assert set(body) == {"kid", "alg", "created_at", "activates_at", "retires_at", "verifies_until"}
    assert (body["kid"], body["alg"], body["retires_at"], body["verifies_until"]) == (rotated.kid, "EdDSA", None, None)
    for name in ("created_at", "activates_at"):
        assert body[name].endswith("Z")
        when: datetime = getattr(rotated, name)
        assert datetime.fromisoformat(body[name]) == when.replace(microsecond=when.microsecond // 1000 * 1000)

    listed = glue.signing_keys_body(await eddsa.signing_keys())
    assert [k["kid"] for k in listed["keys"]] == [only.kid, rotated.kid] and set(listed) == {"keys"}
    first = listed["keys"][0]
    assert first["retires_at"] == body["activates_at"] and first["verifies_until"].endswith("Z")
    assert listed["keys"][1] == body
    assert glue.signing_keys_body([]) == {"keys": []}
