//! Members, roles and invitations (the core's `members`): a tenant's members as listed,
//! an invitation made (its token shown once) and the pending ones as listed (never a
//! token). Conversions only; the methods are `TenantManager`'s (`manager.rs`).
//!
//! The core's `Member`, `Invitation` and `InvitationInfo` cannot be rebuilt from the
//! JavaScript objects, so each call also hands `index.js` the core's own, opaque, for their
//! HTTP bodies (`http.rs`), as the API keys do.

use chrono::{DateTime, Utc};
use napi_derive::napi;

use crate::types::{given, DateValue, Nullable};

/// An invitation to make (`inviteMember`): checked by the core.
#[napi(object)]
pub struct NewInvitation {
    /// The email invited (checked as a tenant admin's is).
    pub email: String,
    /// The role the member will have (only an owner invites an owner).
    #[napi(ts_type = "'owner' | 'admin' | 'member'")]
    pub role: String,
    /// When the invitation stops working (in the future, at most 30 days away); 7 days
    /// from now when left out or `null`.
    #[napi(ts_type = "Date | null")]
    pub expires_at: Option<Nullable<DateValue>>,
}

impl TryFrom<NewInvitation> for tenantry::NewInvitation {
    type Error = tenantry::Error;

    fn try_from(i: NewInvitation) -> tenantry::Result<Self> {
        let invitation = tenantry::NewInvitation::new(i.email, i.role.parse()?);
        Ok(match given(i.expires_at) {
            Some(at) => invitation.expires_at(at.to_utc("expires_at")?),
            None => invitation,
        })
    }
}

/// A member of a tenant as listed (`members`, `setMemberRole`, `acceptInvitation`).
#[napi(object, use_nullable = true)]
pub struct Member {
    /// The member's id (24 hex digits): the `adminId` of its tokens, for `setMemberRole`
    /// and `removeMember`.
    pub id: String,
    /// Its email, as given.
    pub email: String,
    /// Its role.
    #[napi(ts_type = "'owner' | 'admin' | 'member'")]
    pub role: String,
    /// Whether it is the tenant's first admin (it cannot be removed, only demoted).
    pub first_admin: bool,
    /// When it joined.
    pub created_at: DateTime<Utc>,
}

impl From<&tenantry::Member> for Member {
    fn from(m: &tenantry::Member) -> Self {
        Member {
            id: m.id.to_hex(),
            email: m.email.clone(),
            role: m.role.as_str().to_owned(),
            first_admin: m.first_admin,
            created_at: m.created_at,
        }
    }
}

/// A pending invitation as listed (`invitations`, and `Invitation.info`): everything but
/// its token.
#[napi(object, use_nullable = true)]
pub struct InvitationInfo {
    /// The invitation's id (24 hex digits), for `revokeInvitation`.
    pub id: String,
    /// `tni_<id>`: how its token begins.
    pub prefix: String,
    /// The email invited.
    pub email: String,
    /// The role the member will have.
    #[napi(ts_type = "'owner' | 'admin' | 'member'")]
    pub role: String,
    /// The id of the member who invited (24 hex digits).
    pub invited_by: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

impl From<&tenantry::InvitationInfo> for InvitationInfo {
    fn from(i: &tenantry::InvitationInfo) -> Self {
        InvitationInfo {
            id: i.id.to_hex(),
            prefix: i.prefix.clone(),
            email: i.email.clone(),
            role: i.role.as_str().to_owned(),
            invited_by: i.invited_by.to_hex(),
            created_at: i.created_at,
            expires_at: i.expires_at,
        }
    }
}

/// An invitation just made (`inviteMember`): its token, shown this once, and what will be
/// listed of it.
#[napi(object, object_from_js = false)]
pub struct Invitation {
    /// The token, `tni_<id>_<secret>`, for the invitee's `acceptInvitation`: only its
    /// digest is stored, it cannot be shown again.
    pub token: String,
    /// The invitation as `invitations` will list it.
    pub info: InvitationInfo,
}

/// The core's member, opaque, for its HTTP body (`httpMemberBody`). Not part of the public
/// API: `index.js` keeps it beside each `Member` returned.
#[napi]
pub struct CoreMember {
    pub(crate) inner: tenantry::Member,
}

/// The core's listing of members, opaque, for its HTTP body (`httpMembersBody`). Not part
/// of the public API: `index.js` keeps it beside the array `members` returns.
#[napi]
pub struct CoreMembers {
    pub(crate) inner: Vec<tenantry::Member>,
}

/// A member and the core's own, as `setMemberRole` and `acceptInvitation` settle.
#[napi(object, object_from_js = false)]
pub struct MemberOutcome {
    /// The member.
    pub member: Member,
    /// The core's member, for its HTTP body.
    pub core: CoreMember,
}

impl From<tenantry::Member> for MemberOutcome {
    fn from(m: tenantry::Member) -> Self {
        MemberOutcome {
            member: Member::from(&m),
            core: CoreMember { inner: m },
        }
    }
}

/// The members and the core's own, as `members` settles.
#[napi(object, object_from_js = false)]
pub struct MembersOutcome {
    /// The members, the first admin first.
    pub members: Vec<Member>,
    /// The core's members, for their HTTP body.
    pub core: CoreMembers,
    /// The core's member of each, in the same order, for its own body.
    pub each: Vec<CoreMember>,
}

impl From<Vec<tenantry::Member>> for MembersOutcome {
    fn from(list: Vec<tenantry::Member>) -> Self {
        MembersOutcome {
            members: list.iter().map(Member::from).collect(),
            each: list
                .iter()
                .map(|m| CoreMember { inner: m.clone() })
                .collect(),
            core: CoreMembers { inner: list },
        }
    }
}

/// The core's invitation just made, opaque, for its HTTP body
/// (`httpCreatedInvitationBody`). Not part of the public API: `index.js` keeps it beside
/// the `Invitation` `inviteMember` returns.
#[napi]
pub struct CoreInvitation {
    pub(crate) inner: tenantry::Invitation,
}

/// The core's listed invitation, opaque, for its HTTP body (`httpInvitationBody`). Not
/// part of the public API: `index.js` keeps it beside each `InvitationInfo` returned.
#[napi]
pub struct CoreInvitationInfo {
    pub(crate) inner: tenantry::InvitationInfo,
}

/// The core's listing of invitations, opaque, for its HTTP body (`httpInvitationsBody`).
/// Not part of the public API: `index.js` keeps it beside the array `invitations` returns.
#[napi]
pub struct CoreInvitations {
    pub(crate) inner: Vec<tenantry::InvitationInfo>,
}

/// An invitation just made and the core's own, as `inviteMember` settles.
#[napi(object, object_from_js = false)]
pub struct InvitationOutcome {
    /// The invitation.
    pub invitation: Invitation,
    /// The core's invitation, for its HTTP body.
    pub core: CoreInvitation,
    /// The core's listed invitation, for the body of `invitation.info`.
    pub info: CoreInvitationInfo,
}

impl From<tenantry::Invitation> for InvitationOutcome {
    fn from(i: tenantry::Invitation) -> Self {
        InvitationOutcome {
            invitation: Invitation {
                token: i.token.clone(),
                info: InvitationInfo::from(&i.info),
            },
            info: CoreInvitationInfo {
                inner: i.info.clone(),
            },
            core: CoreInvitation { inner: i },
        }
    }
}

/// The pending invitations and the core's own, as `invitations` settles.
#[napi(object, object_from_js = false)]
pub struct InvitationsOutcome {
    /// The invitations, oldest first.
    pub invitations: Vec<InvitationInfo>,
    /// The core's invitations, for their HTTP body.
    pub core: CoreInvitations,
    /// The core's invitation of each, in the same order, for its own body.
    pub each: Vec<CoreInvitationInfo>,
}

impl From<Vec<tenantry::InvitationInfo>> for InvitationsOutcome {
    fn from(list: Vec<tenantry::InvitationInfo>) -> Self {
        InvitationsOutcome {
            invitations: list.iter().map(InvitationInfo::from).collect(),
            each: list
                .iter()
                .map(|i| CoreInvitationInfo { inner: i.clone() })
                .collect(),
            core: CoreInvitations { inner: list },
        }
    }
}

/// The core's roles, weakest first, for the test that checks the type declarations
/// against them. Not part of the public API.
#[napi(skip_typescript, js_name = "__roles")]
pub fn roles() -> Vec<&'static str> {
    [
        tenantry::Role::Member,
        tenantry::Role::Admin,
        tenantry::Role::Owner,
    ]
    .iter()
    .map(|r| r.as_str())
    .collect()
}
