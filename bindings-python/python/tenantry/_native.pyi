"""Type stubs of ``tenantry._native``, the Rust extension module (checked against the built
module by ``mypy.stubtest``; the keyword settings against the core's list by the tests)."""

import asyncio
import os
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, ClassVar, NoReturn, final

from typing_extensions import Unpack

from tenantry.settings import Settings

__all__ = [
    "__version__",
    "HOME_CLUSTER",
    "DEFAULT_COLLECTION",
    "TenantManager",
    "Tenant",
    "TenantPage",
    "Claims",
    "AccessToken",
    "Session",
    "SessionInfo",
    "SigningKeyInfo",
    "ApiKey",
    "ApiKeyInfo",
    "Member",
    "InvitationInfo",
    "Invitation",
    "RecoveryReport",
    "RecoveryFailure",
    "MoveProgress",
    "MoveProgressIterator",
    "AuditEntry",
    "AuditPage",
    "AuditVerification",
    "ArchiveManifest",
    "Location",
    "Confinement",
    "MigrationTenant",
    "MigrateReport",
    "MigrationFailure",
    "_core_fields",
    "_error_codes",
    "_http_response",
    "_http_method_not_allowed",
    "_http_validation_response",
    "_http_tenant_query",
    "_http_tenant_body",
    "_http_page_body",
    "_http_audit_query",
    "_http_audit_tenant",
    "_http_audit_page_body",
    "_http_verification_body",
    "_http_import_options",
    "_http_migrate_options",
    "_http_migrate_report_body",
    "_http_session_body",
    "_http_sessions_body",
    "_http_signing_key_body",
    "_http_signing_keys_body",
    "_http_new_api_key",
    "_http_api_key_body",
    "_http_created_api_key_body",
    "_http_api_keys_body",
    "_http_claims_body",
    "_http_member_body",
    "_http_members_body",
    "_http_member_role",
    "_http_new_invitation",
    "_http_invitation_body",
    "_http_created_invitation_body",
    "_http_invitations_body",
    "_http_accepted_invitation",
    "_raise_sample_error",
    "_restore",
    "_sample_panic",
    "_settings_fields",
]

__version__: str
#: The cluster of the catalog, where tenants live unless placed on another.
HOME_CLUSTER: str
#: A tenant's default logical collection (the only one in the ``collection`` layout).
DEFAULT_COLLECTION: str

@final
class Tenant:
    """A tenant. Immutable plain data: hashable, comparable, picklable, ``to_dict()``."""

    @property
    def id(self) -> str:
        """The tenant's stable id (24 hex digits)."""
    @property
    def name(self) -> str:
        """The name as given at creation or last rename."""
    @property
    def collection_name(self) -> str:
        """The tenant's default collection: ``org_<slug>`` (or ``org_<id>`` with stable
        names) in the ``collection`` layout, ``data`` in the ``database`` layout,
        ``shared_data`` (shared with other tenants) in the ``shared`` layout."""
    @property
    def database(self) -> str:
        """The database holding the collection."""
    @property
    def namespace(self) -> str:
        """``database.collection``."""
    @property
    def layout(self) -> str:
        """``collection``, ``database`` or ``shared``."""
    @property
    def cluster(self) -> str:
        """The cluster of the tenant's data (``HOME_CLUSTER`` unless placed on another)."""
    @property
    def admin_email(self) -> str:
        """The admin's email."""
    @property
    def admin_id(self) -> str:
        """The admin's stable id (24 hex digits)."""
    @property
    def created_at(self) -> datetime:
        """When the tenant was created (aware, UTC)."""
    @property
    def updated_at(self) -> datetime:
        """When the tenant last changed (aware, UTC)."""
    @property
    def state(self) -> str:
        """``active``, or ``deleted`` (softly: hidden from every call but ``list_tenants``,
        ``restore_tenant`` and ``purge_tenant``, restorable until ``purge_after``)."""
    @property
    def deleted_at(self) -> datetime | None:
        """When a soft delete made the tenant ``deleted`` (aware, UTC; None unless deleted)."""
    @property
    def purge_after(self) -> datetime | None:
        """Until when a softly deleted tenant can be restored; it is purged after (aware,
        UTC; None unless deleted)."""
    @property
    def suspended_at(self) -> datetime | None:
        """When ``suspend_tenant`` suspended the tenant (aware, UTC; None unless
        suspended): while it is, its logins, earlier tokens and scopes raise
        ``TenantSuspended``."""
    @property
    def suspended_reason(self) -> str | None:
        """Why, as the operator said (None when not given, or not suspended)."""
    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict."""
    def __hash__(self) -> int: ...
    def __reduce__(self) -> tuple[Any, ...]: ...

@final
class TenantPage:
    """One page of ``list_tenants``, in creation order: ``len()`` and iteration give its
    tenants. Comparable plain data, ``to_dict()``; neither hashable nor picklable (a read
    of the moment)."""

    __hash__: ClassVar[None]  # type: ignore[assignment]
    @property
    def tenants(self) -> list[Tenant]:
        """The tenants of this page."""
    @property
    def next(self) -> str | None:
        """The cursor of the next page, for ``list_tenants(after=...)`` with the same
        filters (None on the last page)."""
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Tenant]: ...
    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict (each tenant's as ``Tenant.to_dict()``)."""

@final
class Claims:
    """What a verified token or API key says: the credential the tenant's operations take.
    Made only by ``verify_token``/``decode_token``/``verify_api_key``/``verify_credential``;
    cannot be built, changed or pickled."""

    @property
    def admin_id(self) -> str:
        """The admin's id (stable across email changes)."""
    @property
    def tenant_id(self) -> str:
        """The tenant's id (stable across renames)."""
    @property
    def tenant_name(self) -> str:
        """The tenant's name: current after ``verify_token``, as issued after ``decode_token``."""
    @property
    def token_version(self) -> int:
        """The admin's token version when the token was issued."""
    @property
    def issued_at(self) -> datetime:
        """When the token was issued."""
    @property
    def expires_at(self) -> datetime:
        """When the token expires."""
    @property
    def collection_name(self) -> str | None:
        """The tenant's default collection when ``verify_token`` checked the claims (None
        after ``decode_token``)."""
    @property
    def database(self) -> str | None:
        """The database of the tenant's data when ``verify_token`` checked the claims (None
        after ``decode_token``)."""
    @property
    def layout(self) -> str | None:
        """The tenant's layout (``collection``, ``database`` or ``shared``) when
        ``verify_token`` checked the claims (None after ``decode_token``)."""
    @property
    def cluster(self) -> str | None:
        """The cluster of the tenant's data when ``verify_token`` checked the claims (None
        after ``decode_token``): an application's own client must be connected to it."""
    @property
    def api_key_id(self) -> str | None:
        """The id of the API key the claims were verified from (``verify_api_key``); None
        for a token."""
    @property
    def scopes(self) -> list[str] | None:
        """The API key's scopes, sorted; None for a token (which may do all its admin
        may)."""
    @property
    def role(self) -> str | None:
        """The member's role, ``owner``, ``admin`` or ``member``, when ``verify_token``
        checked the claims (as fresh as its revocation check; the calls that manage the
        tenant read it again); None after ``decode_token`` and for an API key's claims."""
    def has_scope(self, scope: str) -> bool:
        """Whether the claims allow ``scope``: an API key's when it was made with it, an
        admin's token always."""
    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict."""
    def __hash__(self) -> int: ...
    def __reduce__(self) -> NoReturn: ...

@final
class AccessToken:
    """A freshly issued access token. Its ``repr`` never shows the token."""

    @property
    def access_token(self) -> str:
        """The JWT, for ``Authorization: Bearer <token>``."""
    @property
    def token_type(self) -> str:
        """Always ``"bearer"``."""
    @property
    def admin_id(self) -> str: ...
    @property
    def tenant_id(self) -> str: ...
    @property
    def tenant_name(self) -> str: ...
    @property
    def expires_at(self) -> datetime: ...
    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict."""
    def __hash__(self) -> int: ...
    def __reduce__(self) -> tuple[Any, ...]: ...

@final
class Session:
    """A session's tokens, as ``login_session`` and ``refresh_session`` return them: a
    short access token and the refresh token that renews it. Its ``repr`` shows neither
    token. Comparable, ``to_dict()``; neither hashable nor picklable (it holds a secret)."""

    __hash__: ClassVar[None]  # type: ignore[assignment]
    @property
    def access(self) -> AccessToken:
        """The access token (expires after the ``session_access_seconds`` setting)."""
    @property
    def refresh_token(self) -> str:
        """The refresh token, for ``refresh_session``: opaque, works once, shown only
        here."""
    @property
    def session_id(self) -> str:
        """The session's id (24 hex digits), for ``end_session``."""
    @property
    def expires_at(self) -> datetime:
        """When the session ends whatever its refreshes: its login's time plus the
        ``session_refresh_seconds`` setting (aware, UTC)."""
    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict (``access`` as ``AccessToken.to_dict()``)."""

@final
class SessionInfo:
    """An open session, as ``sessions`` lists it. Comparable, hashable plain data,
    ``to_dict()``; not picklable."""

    @property
    def id(self) -> str:
        """The session's id (24 hex digits), for ``end_session``."""
    @property
    def created_at(self) -> datetime:
        """When its login was (aware, UTC)."""
    @property
    def refreshed_at(self) -> datetime:
        """When it was last refreshed (its login's time if never; aware, UTC)."""
    @property
    def expires_at(self) -> datetime:
        """When it ends whatever its refreshes (aware, UTC)."""
    @property
    def client(self) -> str | None:
        """The client address its login gave (``login_session(client=...)``), if any."""
    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict."""
    def __hash__(self) -> int: ...

@final
class SigningKeyInfo:
    """A signing key of the ``EdDSA`` timeline, as ``signing_keys`` lists it and
    ``rotate_signing_key`` returns it: its ``kid`` and times, never its private half.
    Comparable, hashable plain data, ``to_dict()``; not picklable."""

    @property
    def kid(self) -> str:
        """The ``kid`` header of the tokens it signs, and of its JWK in ``jwks()``."""
    @property
    def algorithm(self) -> str:
        """Its algorithm (``EdDSA``)."""
    @property
    def created_at(self) -> datetime:
        """When it was made, and published (aware, UTC)."""
    @property
    def activates_at(self) -> datetime:
        """When it starts signing: ``signing_key_lead_seconds`` after it was made (aware,
        UTC)."""
    @property
    def retires_at(self) -> datetime | None:
        """When it stops signing (the next key's activation), once a next key exists."""
    @property
    def verifies_until(self) -> datetime | None:
        """When the tokens it signed have all expired, and it is unpublished, once a next
        key exists."""
    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict."""
    def __hash__(self) -> int: ...

@final
class ApiKeyInfo:
    """A tenant's API key as ``api_keys`` lists it (and ``ApiKey.info`` shows it):
    everything but its secret. Comparable, hashable plain data, ``to_dict()``; not
    picklable."""

    @property
    def id(self) -> str:
        """The key's id (24 hex digits), for ``revoke_api_key``."""
    @property
    def prefix(self) -> str:
        """``tnk_<id>``: how the key begins, naming it in listings and logs without
        revealing it."""
    @property
    def name(self) -> str:
        """Its name, for people."""
    @property
    def scopes(self) -> list[str]:
        """Its scopes, sorted, without repeats."""
    @property
    def created_by(self) -> str:
        """The id of the admin who made it."""
    @property
    def created_at(self) -> datetime:
        """When it was made (aware, UTC)."""
    @property
    def expires_at(self) -> datetime | None:
        """When it stops verifying (aware, UTC); None if never."""
    @property
    def last_used_at(self) -> datetime | None:
        """When it was last verified, to the minute (aware, UTC); None if never."""
    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict."""
    def __hash__(self) -> int: ...

@final
class ApiKey:
    """An API key just made, as ``create_api_key`` returns it: the key, shown this once
    (only its digest is stored), and what will be listed of it. Its ``repr`` shows the
    key's prefix only. Comparable, ``to_dict()``; neither hashable nor picklable (it holds
    a secret)."""

    __hash__: ClassVar[None]  # type: ignore[assignment]
    @property
    def key(self) -> str:
        """The key, ``tnk_<id>_<secret>``, for ``Authorization: Bearer <key>``: it cannot be
        shown again."""
    @property
    def info(self) -> ApiKeyInfo:
        """The key as ``api_keys`` will list it."""
    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict (``info`` as ``ApiKeyInfo.to_dict()``)."""

@final
class Member:
    """A member of a tenant, as ``members`` lists it and ``set_member_role`` and
    ``accept_invitation`` return it. Comparable, hashable plain data, ``to_dict()``; not
    picklable."""

    @property
    def id(self) -> str:
        """The member's id (24 hex digits): the ``admin_id`` of its tokens, for
        ``set_member_role`` and ``remove_member``."""
    @property
    def email(self) -> str:
        """Its email, as given."""
    @property
    def role(self) -> str:
        """``owner``, ``admin`` or ``member``."""
    @property
    def first_admin(self) -> bool:
        """Whether it is the tenant's first admin (the one that created it), which cannot
        be removed, only demoted."""
    @property
    def created_at(self) -> datetime:
        """When it joined (aware, UTC)."""
    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict."""
    def __hash__(self) -> int: ...

@final
class InvitationInfo:
    """A pending invitation as ``invitations`` lists it (and ``Invitation.info`` shows
    it): everything but its secret. Comparable, hashable plain data, ``to_dict()``; not
    picklable."""

    @property
    def id(self) -> str:
        """The invitation's id (24 hex digits), for ``revoke_invitation``."""
    @property
    def prefix(self) -> str:
        """``tni_<id>``: how its token begins, naming it without revealing it."""
    @property
    def email(self) -> str:
        """The email invited."""
    @property
    def role(self) -> str:
        """The role the member will have: ``owner``, ``admin`` or ``member``."""
    @property
    def invited_by(self) -> str:
        """The id of the member who invited."""
    @property
    def created_at(self) -> datetime:
        """When it was made (aware, UTC)."""
    @property
    def expires_at(self) -> datetime:
        """When it stops working (aware, UTC)."""
    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict."""
    def __hash__(self) -> int: ...

@final
class Invitation:
    """An invitation just made, as ``invite_member`` returns it: its token, shown this once
    (only its digest is stored), and what will be listed of it. Its ``repr`` shows the
    token's prefix only. Comparable, ``to_dict()``; neither hashable nor picklable (it
    holds a secret)."""

    __hash__: ClassVar[None]  # type: ignore[assignment]
    @property
    def token(self) -> str:
        """The token, ``tni_<id>_<secret>``, for the invitee's ``accept_invitation``: it
        cannot be shown again."""
    @property
    def info(self) -> InvitationInfo:
        """The invitation as ``invitations`` will list it."""
    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict (``info`` as ``InvitationInfo.to_dict()``)."""

@final
class RecoveryReport:
    """What ``recover()`` found and did."""

    @property
    def completed(self) -> int:
        """Interrupted operations carried to their end."""
    @property
    def rolled_back(self) -> int:
        """Interrupted operations undone."""
    @property
    def adopted(self) -> int:
        """Records of the original service given their normalized keys."""
    @property
    def not_adopted(self) -> list[str]:
        """Records that could not be adopted, with the reason."""
    @property
    def swept_keys(self) -> int:
        """Keys no tenant or admin refers to any more, removed."""
    @property
    def swept_tombstones(self) -> int:
        """Tombstones older than the retention, dropped."""
    @property
    def purged(self) -> int:
        """Softly deleted tenants whose retention had passed, purged."""
    @property
    def swept_fences(self) -> int:
        """Fences of tenants in shared collections they left, older than the retention, lifted."""
    @property
    def moved_documents(self) -> int:
        """Documents found in tombstones, moved to their tenant's collection."""
    @property
    def orphan_collections(self) -> list[str]:
        """``org_*`` collections no tenant claims (never dropped automatically)."""
    @property
    def failed(self) -> list[RecoveryFailure]:
        """Tenants that could not be recovered; the others were recovered all the same."""
    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict."""
    def __hash__(self) -> int: ...
    def __reduce__(self) -> tuple[Any, ...]: ...

@final
class RecoveryFailure:
    """One tenant ``recover()`` could not fix."""

    @property
    def tenant_id(self) -> str | None:
        """The tenant's id (None for a failed sweep)."""
    @property
    def name(self) -> str:
        """The tenant's name, or what failed."""
    @property
    def code(self) -> str:
        """The stable code of the error."""
    @property
    def message(self) -> str:
        """The error's message."""
    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict."""
    def __hash__(self) -> int: ...
    def __reduce__(self) -> tuple[Any, ...]: ...

@final
class MoveProgress:
    """How a move, an export or an import is going, as ``progress=`` callbacks are called
    with it and ``move_tenant_progress`` yields it: plain data, comparable, ``to_dict()``."""

    __hash__: ClassVar[None]  # type: ignore[assignment]
    @property
    def phase(self) -> str:
        """A move's: ``copy`` (as the copy starts, then after each batch), ``catch-up``
        (the copy done, changes made meanwhile being applied) or ``done`` (the move's last
        report, repeating the last ``copied`` and ``total``). An export's: ``export`` (as
        it starts, then after each batch), then ``done``. An import's: ``import`` (after
        each batch written), ``verify`` (the data read back and checked against the
        manifest), then ``done``."""
    @property
    def copied(self) -> int:
        """Documents copied (written, for an export or an import) so far."""
    @property
    def total(self) -> int:
        """Documents to copy (as counted when the copy started; raised to ``copied`` when
        writes added more meanwhile). An import, which cannot know its archive's count
        before its end, reports ``copied``."""
    @property
    def rate(self) -> float:
        """Documents copied per second since the operation started."""
    @property
    def eta(self) -> float | None:
        """Seconds left at that rate (None while nothing has been copied)."""
    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict."""

@final
class MoveProgressIterator:
    """``async for progress in manager.move_tenant_progress(...)``: the move starts when
    the iteration does and the iteration ends with it, raising the move's error if it
    failed. Leaving the loop early does not stop the move."""

    def __aiter__(self) -> MoveProgressIterator: ...
    def __anext__(self) -> asyncio.Future[MoveProgress]: ...
    @property
    def tenant(self) -> Tenant | None:
        """The tenant where the move left it, once the iteration has ended (None before,
        and after a failed move)."""

@final
class AuditEntry:
    """One event of a tenant's audit log, hash-chained to the one before. Immutable plain
    data: hashable, comparable, picklable, ``to_dict()``."""

    @property
    def tenant_id(self) -> str:
        """The tenant's id (24 hex digits)."""
    @property
    def seq(self) -> int:
        """Its place in the tenant's chain, from 1."""
    @property
    def at(self) -> datetime:
        """When it was written (aware, UTC, to the millisecond)."""
    @property
    def actor(self) -> str:
        """Who acted: ``admin:<id>``, ``operator``, ``retention`` or ``anonymous``."""
    @property
    def op(self) -> str:
        """What happened: ``create``, ``rename``, ``email_change``, ``password_change``,
        ``delete``, ``restore``, ``purge``, ``move``, ``login``, ``import``, ``suspend``,
        ``resume``."""
    @property
    def outcome(self) -> str:
        """``ok``, or the code of the error the operation ended with."""
    @property
    def detail(self) -> dict[str, Any]:
        """What else is worth keeping (a rename's names, a move's target); never a secret.
        Ids as 24-digit hex strings, instants as aware UTC datetimes, binary data as
        ``bytes``, other BSON types as their relaxed Extended JSON. A new dict on each
        access."""
    @property
    def prev(self) -> str:
        """The hash of the entry before (64 zeros for the first)."""
    @property
    def hash(self) -> str:
        """This entry's hash: SHA-256 (hex) over its fields, ``prev`` included."""
    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict."""
    def __hash__(self) -> int: ...
    def __reduce__(self) -> tuple[Any, ...]: ...

@final
class AuditPage:
    """One page of ``audit_log``, in order: ``len()`` and iteration give its entries.
    Comparable plain data, ``to_dict()``; neither hashable nor picklable (a read of the
    moment)."""

    __hash__: ClassVar[None]  # type: ignore[assignment]
    @property
    def entries(self) -> list[AuditEntry]:
        """The entries of this page."""
    @property
    def next(self) -> int | None:
        """The ``after`` of the next page, with the same filters (None on the last page)."""
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[AuditEntry]: ...
    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict (each entry's as ``AuditEntry.to_dict()``)."""

@final
class AuditVerification:
    """What ``verify_audit`` found. Comparable plain data, ``to_dict()``; neither hashable
    nor picklable (a read of the moment)."""

    __hash__: ClassVar[None]  # type: ignore[assignment]
    @property
    def entries(self) -> int:
        """Entries read (up to and including the first broken one)."""
    @property
    def intact(self) -> bool:
        """Whether the chain is whole."""
    @property
    def broken(self) -> tuple[int, str] | None:
        """The ``seq`` where the chain first breaks, and how (an entry edited, removed, or
        put out of order); None when it is whole."""
    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict."""

@final
class ArchiveManifest:
    """What an archive holds, as its last record says and an import checked. Comparable
    plain data, ``to_dict()``; not hashable."""

    __hash__: ClassVar[None]  # type: ignore[assignment]
    @property
    def collections(self) -> dict[str, tuple[int, str]]:
        """Per logical collection: its documents, and the SHA-256 (hex) of their bytes in
        ``_id`` order."""
    @property
    def audit_entries(self) -> int:
        """The tenant's audit entries the archive holds."""
    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict."""

@final
class Confinement:
    """What confines operations on a shared collection to one tenant (the ``shared``
    layout): the core's rules, BSON bytes in and out. ``ConfinedCollection`` uses it;
    arrays and updates travel wrapped: ``{"p": [stages]}``, ``{"u": update}``. A refused
    input raises ``InvalidInput``."""

    @property
    def tenant_id(self) -> str:
        """The tenant's id (24 hex digits): the value of the ``_tenant`` stamp."""
    def filter(self, filter: bytes) -> bytes:
        """A filter matching the tenant's documents only."""
    def document(self, document: bytes) -> bytes:
        """A document to insert, or a replacement, stamped (another tenant's stamp is
        refused)."""
    def update(self, update: bytes) -> bytes:
        """``{"u": operators or stages}``: the update cannot change the stamp, and an
        upsert inserts the tenant's document."""
    def pipeline(self, pipeline: bytes) -> bytes:
        """``{"p": stages}``: an aggregation over the tenant's documents, reaching no other
        collection, its results without the stamp."""
    def projection(self, projection: bytes | None = None) -> bytes:
        """A find's projection leaving the stamp out of the results."""
    def change_stream(self, pipeline: bytes) -> bytes:
        """``{"p": stages}``: a change stream of the tenant's documents only."""
    def index_keys(self, keys: bytes) -> bytes:
        """Index keys led by the stamp (a unique index is unique per tenant)."""

@final
class Location:
    """Where one of a tenant's logical collections is."""

    @property
    def cluster(self) -> str:
        """The cluster (``HOME_CLUSTER`` unless the tenant was placed on another): the
        client must be connected to it."""
    @property
    def database(self) -> str:
        """The database."""
    @property
    def collection(self) -> str:
        """The physical collection (shared with other tenants in the ``shared`` layout)."""
    @property
    def namespace(self) -> str:
        """``database.collection``."""
    @property
    def confinement(self) -> Confinement | None:
        """What every operation must go through, in the ``shared`` layout (None in the
        others)."""

@final
class MigrationTenant:
    """The tenant a migration written in Python is called with (``set_schema``), while
    ``migrate()`` runs it."""

    @property
    def tenant_id(self) -> str:
        """The tenant's id (24 hex digits)."""
    @property
    def name(self) -> str:
        """The tenant's name."""
    @property
    def layout(self) -> str:
        """``collection``, ``database`` or ``shared``."""
    @property
    def cluster(self) -> str:
        """The cluster of the tenant's data: the client given to ``collection`` must be
        connected to it."""
    @property
    def database(self) -> str:
        """The database of the tenant's data."""
    def locate(self, name: str = ...) -> Location:
        """Where the tenant's logical collection ``name`` (``"data"`` when left out) is.
        Raises ``InvalidInput`` as ``TenantManager.locate`` does."""
    def collection(self, client: Any, name: str = ...) -> Any:
        """The tenant's logical collection ``name`` (``"data"`` when left out) on the
        application's own driver, as ``TenantManager.collection``/``admin_collection``
        give it: ``client[database][collection]``, wrapped in a ``ConfinedCollection`` in
        the ``shared`` layout."""

@final
class MigrateReport:
    """What ``migrate()`` did (or, in a dry run, would do). Comparable plain data,
    ``to_dict()``; not hashable."""

    __hash__: ClassVar[None]  # type: ignore[assignment]
    @property
    def tenants(self) -> int:
        """Active tenants looked at."""
    @property
    def applied(self) -> int:
        """Migrations applied (in a dry run: that would be), over every tenant."""
    @property
    def up_to_date(self) -> int:
        """Tenants that had nothing to apply."""
    @property
    def not_started(self) -> int:
        """Tenants not started (after a failure, with ``stop_on_failure``)."""
    @property
    def failed(self) -> list[MigrationFailure]:
        """Each tenant whose migration failed, by name; its other migrations did not run,
        the other tenants' did."""
    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict (each failure's as ``MigrationFailure.to_dict()``)."""

@final
class MigrationFailure:
    """A tenant whose migration failed. Comparable plain data, ``to_dict()``; not
    hashable."""

    __hash__: ClassVar[None]  # type: ignore[assignment]
    @property
    def tenant_id(self) -> str:
        """The tenant's id (24 hex digits)."""
    @property
    def name(self) -> str:
        """The tenant's name."""
    @property
    def migration(self) -> str:
        """The id of the migration that failed (empty when the tenant failed before any)."""
    @property
    def code(self) -> str:
        """The stable code of the error (``CONFLICT`` for a migration changed since it was
        applied; a function's tenantry exception's own; ``INTERNAL`` for any other
        exception)."""
    @property
    def message(self) -> str:
        """The error's message (for any exception but tenantry's, its type and text)."""
    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict."""

@final
class TenantManager:
    """Creates, finds, updates, renames and deletes tenants, and authenticates their admins.

    Share one per process; it holds the MongoDB connection pool. ``async with`` it, or
    ``await manager.aclose()`` when done.
    """

    @staticmethod
    def connect(
        **settings: Unpack[Settings],
    ) -> asyncio.Future[TenantManager]:
        """Connect with the given settings (the core's ``Settings``; those left out take
        the core's defaults). Raises ``ConfigError`` for an unusable or unknown setting,
        ``DatabaseError`` when the server cannot be reached."""
    @staticmethod
    def from_env(
        **settings: Unpack[Settings],
    ) -> asyncio.Future[TenantManager]:
        """Connect with the settings of the environment (``MONGO_URI``, ``JWT_SECRET``, ...),
        the keyword settings taking precedence."""
    @property
    def settings(self) -> dict[str, Any]:
        """The settings in force after defaults (the JWT secret left out)."""
    @property
    def master_db(self) -> str:
        """The database of the tenant records and admins (and of the tenants' data unless
        the ``tenants_db`` setting names another)."""
    @property
    def closed(self) -> bool:
        """Whether ``aclose()`` was called."""
    def create_tenant(
        self,
        name: str,
        email: str,
        password: str,
        *,
        layout: str | None = None,
        naming: str | None = None,
        cluster: str | None = None,
        tag: str | None = None,
    ) -> asyncio.Future[Tenant]:
        """Create a tenant with its admin and its data's home, all or nothing. ``layout``
        (``collection``, ``database``, ``shared``), ``naming`` (``slug``, ``stable``), and
        ``cluster`` or ``tag`` (a configured cluster, or one carrying the tag) override the
        settings. Raises ``InvalidInput`` or ``TenantAlreadyExists`` (see ``field``)."""
    def get_tenant(self, name: str) -> asyncio.Future[Tenant]:
        """Find a tenant by name (any spelling). Raises ``TenantNotFound``."""
    def update_tenant(
        self,
        claims: Claims,
        *,
        email: str | None = None,
        password: str | None = None,
        new_name: str | None = None,
    ) -> asyncio.Future[Tenant]:
        """Change the claims' admin's email and/or password, and/or rename the claims'
        tenant (its data moves with it; an owner's token: ``Forbidden`` below)."""
    def rename_tenant(self, claims: Claims, new_name: str) -> asyncio.Future[Tenant]:
        """Rename the claims' tenant (an owner's token: ``Forbidden`` below)."""
    def delete_tenant(self, claims: Claims) -> asyncio.Future[None]:
        """Delete the claims' tenant (an owner's token: ``Forbidden`` below): its
        collection, admins and record. With the
        ``deleted_retention_seconds`` setting above 0 the delete is soft: the tenant is
        hidden from every call but ``list_tenants``, ``restore_tenant`` and
        ``purge_tenant``, its data, admins and name kept until ``recover()`` or
        ``purge_expired()`` purges it after the retention."""
    def restore_tenant(self, name: str) -> asyncio.Future[Tenant]:
        """Bring back the softly deleted tenant named ``name`` (any spelling), as it was:
        its admins log in again, tokens issued before the delete verify again. Raises
        ``TenantNotFound`` when no deleted tenant has the name, ``InvalidInput`` once its
        retention has passed, ``Conflict`` while another operation holds it. An
        administration call: no token is checked."""
    def suspend_tenant(self, name: str, reason: str | None = None) -> asyncio.Future[Tenant]:
        """Suspend the tenant named ``name`` (any spelling) until ``resume_tenant``: its
        admins' logins with the right password, the tokens issued before and the scopes
        opened with them raise ``TenantSuspended`` (a wrong password stays
        ``InvalidCredentials``); its data, admins and name are untouched, and the
        administration calls still reach it. Suspending a suspended tenant records the new
        reason. ``reason`` (one line, at most 500 characters) is kept on the record
        (``suspended_reason``) and in the audit log. Raises ``TenantNotFound`` when no
        tenant has the name, ``InvalidInput`` (``field`` ``reason``) for a reason too long
        or of more than one line. An administration call: no token is checked."""
    def resume_tenant(self, name: str) -> asyncio.Future[Tenant]:
        """Lift the suspension of the tenant named ``name`` (any spelling): its logins and
        tokens are accepted again, tokens issued before the suspension too (unless
        revoked otherwise). Resuming a tenant that is not suspended changes nothing.
        Raises ``TenantNotFound`` when no tenant has the name. An administration call: no
        token is checked."""
    def purge_tenant(self, name: str) -> asyncio.Future[None]:
        """Remove the softly deleted tenant named ``name`` now, whatever its retention: its
        data, admins, record, then its name (journaled: ``recover()`` ends an interrupted
        purge). Raises ``TenantNotFound`` when no deleted tenant has the name. An
        administration call: no token is checked."""
    def purge_expired(self) -> asyncio.Future[int]:
        """Purge every softly deleted tenant whose retention has passed; how many
        (``recover()`` does it too)."""
    def list_tenants(
        self,
        *,
        state: str | None = None,
        layout: str | None = None,
        cluster: str | None = None,
        name_prefix: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        limit: int | None = None,
        after: str | None = None,
    ) -> asyncio.Future[TenantPage]:
        """One page of the tenants matching every filter given, in creation order, active
        and softly deleted ones alike unless ``state`` (``active`` or ``deleted``) says;
        never one being created or purged. ``layout`` (``collection``, ``database``,
        ``shared``), ``cluster``, ``name_prefix`` (compared as names are: case and spacing
        folded), ``created_after`` (inclusive) and ``created_before`` (exclusive), aware
        datetimes in any time zone. ``limit``: tenants per page (100; 1 to 1000). Read the
        next page with ``after=page.next`` and the same filters: pages never repeat or skip
        a tenant that exists throughout. Raises ``InvalidInput`` naming the filter for a
        value the core refuses, a naive datetime (it names no instant) included;
        ``TypeError`` for an argument of the wrong type. An administration call: no token
        is checked."""
    def count_tenants(
        self,
        *,
        state: str | None = None,
        layout: str | None = None,
        cluster: str | None = None,
        name_prefix: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
    ) -> asyncio.Future[int]:
        """How many tenants match the filters (``list_tenants``' filters, raising alike)."""
    def admin_rename_tenant(self, name: str, new_name: str) -> asyncio.Future[Tenant]:
        """Rename the tenant named ``name`` (any spelling) to ``new_name``, as its admin
        could (journaled; its data moves with it). Raises ``TenantNotFound``,
        ``InvalidInput`` or ``TenantAlreadyExists`` (``field`` ``new_name``), ``Conflict``.
        An administration call: no token is checked."""
    def admin_delete_tenant(self, name: str) -> asyncio.Future[None]:
        """Delete the tenant named ``name`` (any spelling), as its admin could: softly with
        the ``deleted_retention_seconds`` setting above 0. Raises ``TenantNotFound``,
        ``Conflict``. An administration call: no token is checked."""
    def audit_log(
        self,
        tenant_id: str,
        *,
        op: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        after: int | None = None,
    ) -> asyncio.Future[AuditPage]:
        """One page of the audit log of the tenant with the id ``tenant_id`` (a purged
        tenant's log stays), in order: only entries of ``op``, written at or after
        ``since`` and before ``until`` (aware datetimes, in any time zone), after the
        ``seq`` ``after`` (a page's ``next``). ``limit``: entries per page (100; 1 to
        1000). Raises ``InvalidInput`` naming the argument for a value the core refuses
        (``tenant_id`` that is not 24 hex digits, a naive datetime, ``limit``, ``after``);
        ``TypeError`` for an argument of the wrong type. An administration call: no token
        is checked."""
    def verify_audit(self, tenant_id: str) -> asyncio.Future[AuditVerification]:
        """Walk the whole audit log of the tenant with the id ``tenant_id`` and say whether
        its hash chain is whole, and where it first breaks if not: an entry edited (it no
        longer matches its hash), removed (a gap, or a recorded head ahead of the last
        entry), or put out of order (a link that does not match). Raises ``InvalidInput``
        for a ``tenant_id`` that is not 24 hex digits."""
    def export_tenant(
        self,
        name: str,
        path: str | os.PathLike[str],
        *,
        progress: Callable[[MoveProgress], object] | None = None,
    ) -> asyncio.Future[ArchiveManifest]:
        """Write the tenant named ``name`` (any spelling) to the file ``path`` as one
        archive: its record, its admins (with their password hashes: an archive is as
        sensitive as the database), every logical collection with its options, indexes
        and documents, its audit log, and a manifest of counts and checksums, which is
        returned. Streamed: memory does not grow with the data. A live export: writes made
        meanwhile may or may not be in it. The archive is written beside ``path`` and
        renamed over it once whole: ``path`` holds a whole archive or is left as it was.
        ``progress`` as for ``move_tenant`` (phases ``export``, ``done``). Raises
        ``TenantNotFound``; ``OSError`` (``FileNotFoundError``, ``PermissionError``...)
        naming ``path`` when the file cannot be written. An administration call: no token
        is checked."""
    def export_tenant_bytes(
        self, name: str, *, progress: Callable[[MoveProgress], object] | None = None
    ) -> asyncio.Future[bytes]:
        """``export_tenant`` into memory: the archive as ``bytes`` (for a web response)."""
    def import_tenant(
        self,
        path: str | os.PathLike[str],
        *,
        name: str | None = None,
        admin_email: str | None = None,
        layout: str | None = None,
        cluster: str | None = None,
        progress: Callable[[MoveProgress], object] | None = None,
    ) -> asyncio.Future[tuple[Tenant, ArchiveManifest]]:
        """Import a tenant from the archive in the file ``path`` (of any deployment: an
        archive is self-contained): the new tenant and the archive's manifest. ``name``,
        ``admin_email`` and ``layout`` (``collection``, ``database``, ``shared``) default
        to the archive's; ``cluster`` to the placement policy's choice. A copy beside its
        original needs another name and admin email. The tenant stays hidden until its
        data is in and matches the manifest; a failure at any point leaves nothing behind
        (an import whose process dies is purged by ``recover()`` two minutes after its
        last batch). Audit entries are kept under the archive's tenant id; the new
        tenant's log begins with an ``import`` entry. ``progress`` as for
        ``move_tenant`` (phases ``import``, ``verify``, ``done``). Raises ``InvalidInput``
        (``field`` ``archive`` for a damaged or foreign file, ``layout``, ``name``,
        ``email``...), ``TenantAlreadyExists`` (``field`` ``name`` or ``email``);
        ``OSError`` naming ``path`` when the file cannot be opened. An administration
        call: no token is checked."""
    def import_tenant_bytes(
        self,
        data: bytes | bytearray,
        *,
        name: str | None = None,
        admin_email: str | None = None,
        layout: str | None = None,
        cluster: str | None = None,
        progress: Callable[[MoveProgress], object] | None = None,
    ) -> asyncio.Future[tuple[Tenant, ArchiveManifest]]:
        """``import_tenant`` from the archive ``data`` in memory (copied when called)."""
    def check_tenant_name(self, claims: Claims, name: str) -> None:
        """Raise ``Forbidden`` unless ``name`` (any spelling) is the claims' tenant's."""
    def authenticate(
        self, email: str, password: str, *, client: str | None = None, organization_name: str | None = None
    ) -> asyncio.Future[AccessToken]:
        """Log a member in. Raises ``InvalidCredentials`` alike for an unknown email and a
        wrong password (same hashing work), ``TooManyAttempts`` while throttled,
        ``TenantSuspended`` for the right password of a suspended tenant; failures count
        per (email, ``client``). An email may be a member of several tenants: with
        ``organization_name`` (any spelling) it logs into that one (``InvalidCredentials``
        when it is no member of it); without, into the one its password opens, and
        ``InvalidInput`` (``field`` ``organization_name``) when it opens several."""
    def login_session(
        self, email: str, password: str, *, client: str | None = None, organization_name: str | None = None
    ) -> asyncio.Future[Session]:
        """Log a member in as ``authenticate`` does (throttled per (email, ``client``),
        audited, raising alike, into the tenant ``organization_name`` names when given)
        and open a session: a short access token
        (``session_access_seconds``, 900) and a refresh token renewing it until the session
        ends (``session_refresh_seconds`` after the login, 30 days)."""
    def refresh_session(self, refresh_token: str) -> asyncio.Future[Session]:
        """Renew a session: the next access and refresh tokens; the refresh token given is
        used up. Raises ``Unauthorized`` for an unknown, malformed, expired or ended one,
        and for one presented a second time, which also ends its whole session (every
        token of it); ``TenantSuspended`` while the tenant is suspended. A password change
        ends the admin's sessions at their next refresh."""
    def sessions(self, claims: Claims) -> asyncio.Future[list[SessionInfo]]:
        """The open sessions of the claims' admin, newest first."""
    def end_session(self, claims: Claims, session_id: str) -> asyncio.Future[bool]:
        """End the claims' admin's session ``session_id`` (its refresh token stops working;
        access tokens already issued expire on their own); whether it was open. Raises
        ``InvalidInput`` (``field`` ``session_id``) for an id that is not 24 hex digits."""
    def end_all_sessions(self, claims: Claims) -> asyncio.Future[int]:
        """Log out everywhere: end every session of the claims' admin and revoke every
        access token it holds (these claims' included); how many sessions were open."""
    def create_api_key(
        self, claims: Claims, name: str, scopes: Sequence[str], expires_at: datetime | None = None
    ) -> asyncio.Future[ApiKey]:
        """Make an API key for the claims' tenant: ``name`` (1 to 100 characters),
        ``scopes`` (1 to 32, each 1 to 64 of ``A-Z a-z 0-9 : . _ -``), ``expires_at`` an
        aware ``datetime`` in the future, or None (never). The key is in the answer this
        once; only its digest is stored. An owner's or an admin's token only: ``Forbidden``
        for a member's and for an API key's claims. Raises ``InvalidInput`` naming the field (``api_key_name`` for the
        name, ``scopes``, ``expires_at``, a naive ``datetime`` included), ``Conflict`` when the tenant holds
        its most keys (100). Audited."""
    def api_keys(self, claims: Claims) -> asyncio.Future[list[ApiKeyInfo]]:
        """The claims' tenant's API keys that are not revoked (expired ones included),
        oldest first, without their secrets. ``Forbidden`` for a member's and for an API
        key's claims."""
    def revoke_api_key(self, claims: Claims, key_id: str) -> asyncio.Future[bool]:
        """Revoke the claims' tenant's API key ``key_id``; whether it was one of the
        tenant's live keys (another tenant's key is left alone: False). Raises
        ``InvalidInput`` (``field`` ``key_id``) for an id that is not 24 hex digits,
        ``Forbidden`` for a member's and for an API key's claims. Audited."""
    def members(self, claims: Claims) -> asyncio.Future[list[Member]]:
        """The members of the claims' tenant (any member's token): its first admin, then
        the others as they joined. ``Forbidden`` for an API key's claims."""
    def set_member_role(self, claims: Claims, member_id: str, role: str) -> asyncio.Future[Member | None]:
        """Give the claims' tenant's member ``member_id`` the role ``role`` (``owner``,
        ``admin`` or ``member``); the member as it is now, None when the tenant has no such
        member. An owner's or an admin's token; only an owner makes an owner or changes
        one (``Forbidden``). Raises ``LastOwner`` when it would leave the tenant without
        an owner (of two owners demoting each other at once, one is refused),
        ``InvalidInput`` (``field`` ``member_id`` or ``role``) for an id that is not 24
        hex digits or a role that is none of the three. Audited."""
    def remove_member(self, claims: Claims, member_id: str) -> asyncio.Future[bool]:
        """Remove the claims' tenant's member ``member_id``: its sessions end and its
        tokens stop verifying; whether the tenant had such a member. An owner's or an
        admin's token; only an owner removes an owner. Raises ``Forbidden`` for the
        tenant's first admin (it may be demoted), ``LastOwner`` for its last owner,
        ``InvalidInput`` (``field`` ``member_id``) as ``set_member_role``. Audited."""
    def invite_member(
        self, claims: Claims, email: str, role: str, *, expires_at: datetime | None = None
    ) -> asyncio.Future[Invitation]:
        """Invite ``email`` into the claims' tenant as ``role`` (``owner``, ``admin`` or
        ``member``), until ``expires_at`` (an aware ``datetime`` in the future, at most 30
        days away; 7 days when None). The token is in the answer this once; only its
        digest is stored; it works once. An owner's or an admin's token; only an owner
        invites an owner. Raises ``InvalidInput`` naming the field (``email``, ``role``,
        ``expires_at``, a naive ``datetime`` included), ``TenantAlreadyExists``
        (``field`` ``email``) for a member's email, ``Conflict`` when the tenant holds its
        most pending invitations (100). Audited."""
    def invitations(self, claims: Claims) -> asyncio.Future[list[InvitationInfo]]:
        """The claims' tenant's pending invitations (neither accepted, revoked nor
        expired), oldest first, without their tokens. An owner's or an admin's token."""
    def revoke_invitation(self, claims: Claims, invitation_id: str) -> asyncio.Future[bool]:
        """Revoke the claims' tenant's pending invitation ``invitation_id``; whether there
        was one. Raises ``InvalidInput`` (``field`` ``invitation_id``) for an id that is
        not 24 hex digits. An owner's or an admin's token. Audited."""
    def accept_invitation(self, token: str, password: str) -> asyncio.Future[Member]:
        """Accept an invitation (``tni_...``): its email joins its tenant with its role and
        ``password``, and logs in like any member; the new member. Raises ``Unauthorized``
        for an unknown, malformed, used, expired or revoked invitation (of two racing
        accepts, exactly one joins), ``InvalidInput`` (``field`` ``password``) for a weak
        password, ``TenantSuspended`` while the tenant is suspended. Audited."""
    def verify_api_key(self, key: str) -> asyncio.Future[Claims]:
        """The claims of an API key (``tnk_...``), carrying its ``api_key_id`` and
        ``scopes``: its secret compared in constant time, the key neither revoked nor
        expired (else ``Unauthorized``), its tenant there and not suspended (else
        ``TenantSuspended``). They reach the tenant's data (``collection``), never manage
        the tenant (``Forbidden``)."""
    def verify_credential(self, credential: str) -> asyncio.Future[Claims]:
        """The claims of a bearer credential of either kind: ``verify_api_key`` for one
        that begins with ``tnk_``, ``verify_token`` otherwise."""
    def jwks(self) -> asyncio.Future[dict[str, Any]]:
        """The published token-verification keys, a JWKS document (RFC 7517) to serve at
        ``/.well-known/jwks.json``: with ``EdDSA``, every key that signs, will sign, or
        still verifies tokens it signed (a new key is in it from its making, before it
        signs); ``{"keys": []}`` with an HMAC algorithm (a secret is never published)."""
    def signing_keys(self) -> asyncio.Future[list[SigningKeyInfo]]:
        """The signing keys' timeline (``EdDSA``), read now, oldest first: when each
        activates, retires and stops verifying. Raises ``InvalidInput`` with an HMAC
        algorithm."""
    def rotate_signing_key(self) -> asyncio.Future[SigningKeyInfo]:
        """Rotate the signing keys now (``EdDSA``; an operator call): the new key is
        published at once and signs from ``signing_key_lead_seconds`` later; the key it
        replaces keeps verifying its tokens until they have all expired. Raises
        ``InvalidInput`` with an HMAC algorithm."""
    def client_address(self, peer: str, forwarded_for: str | None = None) -> str:
        """The client a request comes from, for ``authenticate(client=...)``: ``peer``, or
        the address ``forwarded_for`` (an ``X-Forwarded-For`` header) gives when ``peer``
        is a trusted proxy. Raises ``ValueError`` for a ``peer`` that is no IP address."""
    def verify_token(self, token: str) -> asyncio.Future[Claims]:
        """Check a token's signature, algorithm, expiry and revocation. Raises
        ``Unauthorized``, or ``TenantSuspended`` while its tenant is suspended."""
    def decode_token(self, token: str) -> Claims:
        """Signature, algorithm and expiry only (no database: a revoked token passes)."""
    def move_tenant(
        self,
        name: str,
        *,
        layout: str | None = None,
        cluster: str | None = None,
        progress: Callable[[MoveProgress], object] | None = None,
    ) -> asyncio.Future[Tenant]:
        """Move the data of the tenant named ``name`` (any spelling) to another ``layout``
        and/or ``cluster``, online: copied in batches, caught up with a change stream,
        writes fenced for a short cut-over while the copy is verified, then the record
        switched and the source emptied. ``progress``, a plain function, is called on the
        event loop's thread with each ``MoveProgress``, all of them before the move's
        future is done; an exception it raises goes to the loop's exception handler and
        the move goes on. An administration call: no token is checked (a server checks its
        caller with ``check_operator``). Raises ``TenantNotFound``, ``InvalidInput``
        (``field``: ``target`` when the data is there already or nothing is named,
        ``layout``, ``cluster``), ``Conflict`` while another operation holds the tenant;
        a move interrupted by a crash is finished or undone by ``recover()``."""
    def move_tenant_progress(
        self, name: str, *, layout: str | None = None, cluster: str | None = None
    ) -> MoveProgressIterator:
        """``move_tenant`` as an async iterator of its ``MoveProgress`` reports: it starts
        the move when first awaited, ends with it and raises its errors."""
    def set_schema(self, schema: dict[str, Any]) -> None:
        """Declare the schema every tenant's data follows: ``{"indexes": [...],
        "migrations": [...]}``, shaped as the ``schema_file`` setting's JSON (the core's
        ``Schema::from_json``), its values (keys, filters, updates, defaults) converted by
        pymongo's ``bson`` as ``ConfinedCollection`` converts documents. An index is
        ``{"collection", "keys", "options"?}``; a migration is ``{"id": ..., kind: {...}}``
        with the kind ``create_index`` (``collection``, ``keys``, ``options``?),
        ``drop_index`` (``collection``, ``name``), ``rename_field`` (``collection``,
        ``from``, ``to``), ``set_default`` (``collection``, ``field``, ``value``),
        ``update`` (``collection``, ``filter``, ``update``: operators or a pipeline), or
        ``{"id": ..., "function": f, "version": "1"}``: ``f(tenant)``, a plain or async
        function of a ``MigrationTenant``, run on the loop that awaits ``migrate()``
        (``version`` stands for it in the checksum: change it when ``f`` changes meaning).
        From now on a new tenant gets the indexes and is recorded as having every
        migration; ``migrate()`` brings the others there. Migrations must be idempotent
        (a run that dies is resumed by running the interrupted migration again) and ids
        are never reused. Replaces the schema declared before (or read from
        ``schema_file``). Raises ``InvalidInput`` (``field`` ``schema``) for a declaration
        that does not read: an unknown key or kind, a missing or repeated id, a function
        that is not callable or has no version, a value ``bson`` cannot encode."""
    def migrate(
        self,
        *,
        parallelism: int | None = None,
        dry_run: bool = False,
        stop_on_failure: bool = False,
        progress: Callable[[int, int], object] | None = None,
    ) -> asyncio.Future[MigrateReport]:
        """Apply the declared schema's migrations that each active tenant lacks, in order,
        ``parallelism`` tenants at a time (4; 1 to 256), each recorded in a ledger per
        tenant: a migration applied is never run again for that tenant, and one changed
        since fails it with ``CONFLICT``. A tenant's failure (an error, or an exception
        its function raises) is reported in ``failed`` and stops that tenant only, or,
        with ``stop_on_failure``, every tenant not started yet (``not_started``).
        ``dry_run`` says what would run and writes nothing. A function's exception fails
        its tenant with the code of a tenantry exception, ``INTERNAL`` for any other.
        ``progress``, a plain function, is called on the event loop's thread with
        ``(done, total)`` after each tenant, all of them before the future is done. The
        functions run on this loop: while a run goes on, a run from another event loop
        raises ``Conflict``. A caller that stops waiting does not stop the run. Raises
        ``InvalidInput`` when no schema is declared (``field`` ``schema``) or for
        ``parallelism`` out of range. An administration call: no token is checked."""
    def check_operator(self, token: str) -> None:
        """Raise ``Unauthorized`` unless ``token`` is the ``operator_token`` setting
        (compared in constant time), ``Forbidden`` when none is set (operator calls are
        off)."""
    def locate(self, claims: Claims, name: str = ...) -> Location:
        """Where the claims' tenant's logical collection ``name`` is (``"data"``, the
        ``DEFAULT_COLLECTION``, when left out), with no round trip. Raises ``InvalidInput``
        for claims from ``decode_token``, for a name MongoDB cannot hold, and for any name
        but ``"data"`` in the ``collection`` layout."""
    def collection(self, claims: Claims, client: Any, name: str = ...) -> Any:
        """The claims' tenant's logical collection ``name`` (``"data"`` when left out) on
        the application's own driver (pymongo ``MongoClient``/``AsyncMongoClient`` or
        motor), with no round trip: ``client[database][collection]``, wrapped in a
        ``ConfinedCollection`` in the ``shared`` layout. ``client`` must be connected to
        ``claims.cluster``. Raises as ``locate``."""
    def admin_collection(self, name: str, client: Any, collection: str = ...) -> asyncio.Future[Any]:
        """``collection`` for the tenant named ``name``, for administration: no token is
        checked, so only trusted code may call it. Raises ``TenantNotFound``."""
    def tenant_collection_name(self, claims: Claims) -> asyncio.Future[str]:
        """The claims' tenant's collection name now (a round trip)."""
    def recover(self) -> asyncio.Future[RecoveryReport]:
        """Finish or undo interrupted operations whose lease ran out; a tenant that cannot
        be fixed is listed in ``failed``, the others are recovered."""
    def ping(self) -> asyncio.Future[None]:
        """Whether the database answers; raises ``DatabaseError`` if not."""
    def aclose(self) -> asyncio.Future[None]:
        """Close: later calls raise ``ManagerClosed``; running operations end first."""
    def __aenter__(self) -> asyncio.Future[TenantManager]: ...
    def __aexit__(self, *_exc: object) -> asyncio.Future[None]: ...

def _core_fields(kind: str) -> list[str]: ...
def _error_codes() -> list[str]: ...
def _http_response(
    kind: str, field: str | None = None, reason: str | None = None, retry_after: int | None = None
) -> tuple[int, list[tuple[str, str]], str] | None: ...
def _http_method_not_allowed(allowed: list[str]) -> tuple[int, list[tuple[str, str]], str]: ...
def _http_validation_response(problems: list[tuple[str, str, str]]) -> tuple[int, list[tuple[str, str]], str]: ...
def _http_tenant_query(raw_query: str) -> dict[str, Any]: ...
def _http_tenant_body(tenant: Tenant) -> dict[str, Any]: ...
def _http_page_body(page: TenantPage) -> dict[str, Any]: ...
def _http_audit_query(raw_query: str) -> tuple[str, dict[str, Any]]: ...
def _http_audit_tenant(raw_query: str) -> str: ...
def _http_audit_page_body(page: AuditPage) -> dict[str, Any]: ...
def _http_verification_body(verification: AuditVerification) -> dict[str, Any]: ...
def _http_import_options(raw_query: str) -> dict[str, Any]: ...
def _http_migrate_options(raw_query: str) -> dict[str, Any]: ...
def _http_migrate_report_body(report: MigrateReport) -> dict[str, Any]: ...
def _http_session_body(session: Session) -> dict[str, Any]: ...
def _http_sessions_body(sessions: list[SessionInfo]) -> dict[str, Any]: ...
def _http_signing_key_body(key: SigningKeyInfo) -> dict[str, Any]: ...
def _http_signing_keys_body(keys: list[SigningKeyInfo]) -> dict[str, Any]: ...
def _http_new_api_key(body: bytes) -> dict[str, Any]: ...
def _http_api_key_body(key: ApiKeyInfo) -> dict[str, Any]: ...
def _http_created_api_key_body(key: ApiKey) -> dict[str, Any]: ...
def _http_api_keys_body(keys: list[ApiKeyInfo]) -> dict[str, Any]: ...
def _http_claims_body(claims: Claims) -> dict[str, Any]: ...
def _http_member_body(member: Member) -> dict[str, Any]: ...
def _http_members_body(members: list[Member]) -> dict[str, Any]: ...
def _http_member_role(body: bytes) -> str: ...
def _http_new_invitation(body: bytes) -> dict[str, Any]: ...
def _http_invitation_body(invitation: InvitationInfo) -> dict[str, Any]: ...
def _http_created_invitation_body(invitation: Invitation) -> dict[str, Any]: ...
def _http_invitations_body(invitations: list[InvitationInfo]) -> dict[str, Any]: ...
def _http_accepted_invitation(body: bytes) -> tuple[str, str]: ...
def _raise_sample_error(code: str) -> None: ...
def _restore(kind: str, json: str) -> Any: ...
def _sample_panic() -> asyncio.Future[None]: ...
def _settings_fields() -> list[tuple[str, str]]: ...
