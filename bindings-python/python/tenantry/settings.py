"""The keyword settings of ``TenantManager.connect`` and ``TenantManager.from_env``.

They are the core's settings, by the core's names; the tests check this list against the
core's. Only ``mongo_uri`` and ``jwt_secret`` are required (``from_env`` may find them in
the environment); the rest default to the original service's values. An unknown setting or
a value of the wrong kind raises ``ConfigError``, naming the setting.
"""

from __future__ import annotations

from typing import TypedDict


class Settings(TypedDict, total=False):
    """Settings for ``TenantManager.connect(**settings)``."""

    #: ``mongodb://...`` or ``mongodb+srv://...`` (env ``MONGO_URI``, then ``MONGODB_URI``).
    mongo_uri: str
    #: HMAC key of the access tokens, at least 16 bytes (env ``JWT_SECRET``).
    jwt_secret: str
    #: Database of the records and admins, and of the tenants' data unless ``tenants_db`` is
    #: set (``master_db``).
    master_db: str
    #: Database of the tenants' data, apart from the records (the master database).
    tenants_db: str
    #: Layout of new tenants: ``collection`` (default), ``database`` or ``shared``.
    tenant_layout: str
    #: Physical names in the ``collection`` layout: ``slug`` (default) or ``stable``.
    tenant_naming: str
    #: Clusters besides the home one, space-separated ``name=uri`` or ``name@tag+tag=uri``.
    clusters: str
    #: Placement of new tenants: ``home`` (default) or ``fewest`` (the emptiest cluster).
    placement: str
    #: ``HS256`` (default), ``HS384``, ``HS512`` or ``EdDSA`` (rotating Ed25519 keys kept
    #: in MongoDB and published as JWKS; needs ``signing_key_secret``) (env ``JWT_ALGO``).
    jwt_algorithm: str
    #: Token lifetime in minutes (1440).
    jwt_expire_minutes: int
    #: Key encrypting the private signing keys stored in MongoDB (``EdDSA``; at least 32
    #: bytes, the same in every process). A secret: ``manager.settings`` never gives it back.
    signing_key_secret: str
    #: Seconds between scheduled signing-key rotations (2592000, 30 days); 0: only on demand.
    signing_key_rotation_seconds: int
    #: Seconds a new signing key is published before it signs (300; at least 1).
    signing_key_lead_seconds: int
    #: ``iss`` set in tokens and required of them.
    jwt_issuer: str
    #: ``aud`` set in tokens and required of them.
    jwt_audience: str
    #: Clock skew allowed on ``exp``, in seconds (30, at most 300).
    jwt_leeway_seconds: int
    #: bcrypt cost of new hashes (12; 4 to 31).
    bcrypt_cost: int
    #: Scheme of new password hashes: ``bcrypt`` (default) or ``argon2id``; hashes of
    #: either verify, one of another scheme is replaced at its admin's next login (env
    #: ``PASSWORD_HASH``).
    password_hash: str
    #: Shortest new password, in characters (8).
    min_password_chars: int
    #: Seconds an operation stays its owner's before recovery may take it over (30).
    operation_lease_seconds: int
    #: Failed logins of one (email, client) pair before a lock-out (10; 0: none).
    login_max_failures: int
    #: Seconds failed logins are remembered (900).
    login_window_seconds: int
    #: Seconds a counter stays at its limit (300).
    login_lockout_seconds: int
    #: Failed logins of one email, from every client, per hour (100).
    login_account_max_failures: int
    #: Failed logins of one client, over every email, per window (100).
    login_client_max_failures: int
    #: Seconds a database call waits for a reachable server (5).
    database_timeout_seconds: int
    #: ``majority`` (default), ``journaled`` or ``server-default``.
    write_concern: str
    #: Seconds a renamed tenant's old name keeps its tombstone (86400).
    tombstone_retention_seconds: int
    #: Seconds a deleted tenant stays restorable before it is purged (0: deletes are
    #: immediate, as the original service).
    deleted_retention_seconds: int
    #: A JSON file of the schema every tenant's data follows (the core's
    #: ``Schema::from_json``: indexes and declarative migrations), read at connect as
    #: ``set_schema`` would take it (env ``TENANT_SCHEMA_FILE``); ``migrate()`` applies it.
    schema_file: str
    #: Addresses or CIDR networks whose ``X-Forwarded-For`` is believed.
    trusted_proxies: str | list[str]
    #: Entries the hot path's cache may hold (100000); 0 turns the cache off.
    cache_capacity: int
    #: Lifetime of a session's access token, in seconds (900; at least 1).
    session_access_seconds: int
    #: How long a session lasts from its login, whatever its refreshes, in seconds
    #: (2592000, 30 days).
    session_refresh_seconds: int
    #: Bearer token of the operator's calls (moves); unset turns them off (env
    #: ``OPERATOR_TOKEN``). A secret: ``manager.settings`` never gives it back.
    operator_token: str


__all__ = ["Settings"]
