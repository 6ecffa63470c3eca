//! Members and roles, and invitations: a tenant's first admin is its first owner; members
//! join through single-use, hashed, expiring, revocable invitations; every operation is
//! authorized by role; the last owner is never removed or demoted, also when two owners
//! demote each other at once; one email may be a member of several tenants and its login
//! names the tenant; nothing a member operation does reaches another tenant.

mod common;

use common::*;
use tenantry::mongodb::bson::{doc, oid::ObjectId, Document};
use tenantry::{
    Action, Claims, ImportOptions, NewApiKey, NewInvitation, Role, TenantManager, TenantUpdate,
};

/// `email` joins the tenant of `by` as `role` (invited and accepted) and logs in.
async fn join(m: &TenantManager, by: &Claims, email: &str, role: Role) -> Claims {
    let invitation = m
        .invite_member(by, NewInvitation::new(email, role))
        .await
        .unwrap();
    let member = m
        .accept_invitation(&invitation.token, PASSWORD)
        .await
        .unwrap();
    assert_eq!((member.email.as_str(), member.role), (email, role));
    let token = m
        .authenticate_in(by.tenant_name(), email, PASSWORD, None)
        .await
        .unwrap();
    m.verify_token(&token.access_token).await.unwrap()
}

fn code<T: std::fmt::Debug>(r: tenantry::Result<T>) -> &'static str {
    r.expect_err("refused").code()
}

#[tokio::test]
async fn members_join_by_invitation_and_are_listed_with_their_roles() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let owner = tenant_with_login(&m, "Team Co", "founder@team.io").await;
    assert_eq!(
        owner.role(),
        Some(Role::Owner),
        "the first admin is an owner"
    );
    assert!(owner.may(Action::Rename) && owner.may(Action::ManageMembers));

    let invitation = m
        .invite_member(&owner, NewInvitation::new("Ada@Team.io", Role::Admin))
        .await
        .unwrap();
    let secret = invitation.token.rsplit_once('_').unwrap().1.to_owned();
    assert!(invitation
        .token
        .starts_with(&format!("{}_", invitation.info.prefix)));
    assert!(invitation
        .info
        .prefix
        .starts_with(tenantry::INVITATION_PREFIX));
    assert!(
        !format!("{invitation:?}").contains(&secret),
        "Debug hides the secret"
    );
    assert!(
        !format!("{:?}", t.documents("tenant_invitations").await).contains(&secret),
        "only a digest is stored"
    );
    assert_eq!(
        m.invitations(&owner).await.unwrap(),
        vec![invitation.info.clone()]
    );

    let ada = m
        .accept_invitation(&invitation.token, PASSWORD)
        .await
        .unwrap();
    assert_eq!(
        (ada.email.as_str(), ada.role, ada.first_admin),
        ("Ada@Team.io", Role::Admin, false)
    );
    assert!(m.invitations(&owner).await.unwrap().is_empty(), "used up");
    // An email that belongs to one tenant logs in without naming it, in any case.
    let token = m.authenticate("ada@team.io", PASSWORD).await.unwrap();
    let ada_claims = m.verify_token(&token.access_token).await.unwrap();
    assert_eq!(ada_claims.admin_id(), ada.id);
    assert_eq!(ada_claims.tenant_id(), owner.tenant_id());
    assert_eq!(ada_claims.role(), Some(Role::Admin));
    assert!(!ada_claims.may(Action::Delete) && ada_claims.may(Action::ManageKeys));

    let bob = join(&m, &ada_claims, "bob@team.io", Role::Member).await;
    assert_eq!(bob.role(), Some(Role::Member));
    let listed = m.members(&bob).await.unwrap();
    let shown: Vec<(&str, Role, bool)> = listed
        .iter()
        .map(|x| (x.email.as_str(), x.role, x.first_admin))
        .collect();
    assert_eq!(
        shown,
        [
            ("founder@team.io", Role::Owner, true),
            ("Ada@Team.io", Role::Admin, false),
            ("bob@team.io", Role::Member, false)
        ]
    );
    // Members reach the tenant's data like its first admin.
    let scope = m.scope(&bob).await.unwrap();
    scope
        .collection::<Document>(tenantry::DEFAULT_COLLECTION)
        .unwrap()
        .insert_one(&doc! { "by": "bob" })
        .await
        .unwrap();
    assert_eq!(
        scope_documents(
            &m.scope(&owner).await.unwrap(),
            tenantry::DEFAULT_COLLECTION
        )
        .await
        .len(),
        1
    );
    // Joined members hold no email key, and recovery does not take them for seed admins.
    m.recover().await.unwrap();
    t.assert_consistent().await;
    t.assert_no_garbage_keys().await;
    let keys = format!("{:?}", t.documents("tenant_keys").await);
    assert!(
        !keys.contains("ada@team.io") && !keys.contains("bob@team.io"),
        "{keys}"
    );
}

/// Every operation, for every role: what it may do succeeds, the rest is `FORBIDDEN` and
/// changes nothing.
#[tokio::test]
async fn every_operation_is_authorized_by_role() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    for (i, role) in [Role::Owner, Role::Admin, Role::Member]
        .into_iter()
        .enumerate()
    {
        let name = format!("Matrix {i}");
        let first = tenant_with_login(&m, &name, &format!("first{i}@matrix.io")).await;
        let me = match role {
            Role::Owner => join(&m, &first, &format!("me{i}@matrix.io"), Role::Owner).await,
            r => join(&m, &first, &format!("me{i}@matrix.io"), r).await,
        };
        let other = join(&m, &first, &format!("other{i}@matrix.io"), Role::Member).await;
        let manages = role >= Role::Admin;
        let owns = role == Role::Owner;
        let check =
            |what: &str, allowed: bool, outcome: Result<(), &'static str>| match (allowed, outcome)
            {
                (true, Ok(())) | (false, Err("FORBIDDEN")) => {}
                (allowed, got) => panic!("{role} {what}: allowed={allowed}, got {got:?}"),
            };

        // Everyone: the members list, its own sessions, the data.
        check("list members", true, outcome(&m.members(&me).await));
        check("sessions", true, outcome(&m.sessions(&me).await));
        check("scope", true, outcome(&m.scope(&me).await));
        // Owners and admins: invitations, roles of non-owners, removals, API keys.
        let invited = m
            .invite_member(
                &me,
                NewInvitation::new(format!("new{i}@matrix.io"), Role::Member),
            )
            .await;
        check("invite", manages, outcome(&invited));
        check(
            "list invitations",
            manages,
            outcome(&m.invitations(&me).await),
        );
        if let Ok(inv) = &invited {
            check(
                "revoke invitation",
                manages,
                outcome(&m.revoke_invitation(&me, inv.info.id).await),
            );
        } else {
            let by_first = m
                .invite_member(
                    &first,
                    NewInvitation::new(format!("x{i}@matrix.io"), Role::Member),
                )
                .await
                .unwrap();
            check(
                "revoke invitation",
                false,
                outcome(&m.revoke_invitation(&me, by_first.info.id).await),
            );
            assert_eq!(
                m.invitations(&first).await.unwrap().len(),
                1,
                "nothing revoked"
            );
        }
        check(
            "invite an owner",
            owns,
            outcome(
                &m.invite_member(
                    &me,
                    NewInvitation::new(format!("boss{i}@matrix.io"), Role::Owner),
                )
                .await,
            ),
        );
        check(
            "change a member's role",
            manages,
            outcome(&m.set_member_role(&me, other.admin_id(), Role::Admin).await),
        );
        check(
            "change an owner's role",
            owns,
            outcome(&m.set_member_role(&me, first.admin_id(), Role::Admin).await),
        );
        if owns {
            m.set_member_role(&me, first.admin_id(), Role::Owner)
                .await
                .unwrap();
        }
        let key = m.create_api_key(&me, NewApiKey::new("ci", ["read"])).await;
        check("create API key", manages, outcome(&key));
        check("list API keys", manages, outcome(&m.api_keys(&me).await));
        if let Ok(key) = &key {
            check(
                "revoke API key",
                manages,
                outcome(&m.revoke_api_key(&me, key.info.id).await),
            );
        }
        check(
            "remove a member",
            manages,
            outcome(&m.remove_member(&me, other.admin_id()).await),
        );
        if !manages {
            assert_eq!(m.members(&first).await.unwrap().len(), 3, "nobody removed");
        }
        // Owners only: rename and delete.
        let renamed = m
            .update_tenant(&me, TenantUpdate::new().new_name(format!("Renamed {i}")))
            .await;
        check("rename", owns, outcome(&renamed));
        let me = m
            .verify_token(
                &m.authenticate(&format!("me{i}@matrix.io"), PASSWORD)
                    .await
                    .unwrap()
                    .access_token,
            )
            .await
            .unwrap();
        // A password change of one's own is every member's.
        // As the original contract sends it: the email (in another case) with it.
        let changed = m
            .update_tenant(
                &me,
                TenantUpdate::new()
                    .admin_email(format!("ME{i}@matrix.io"))
                    .admin_password("another-password-42"),
            )
            .await;
        check("own password", true, outcome(&changed));
        // The record still shows its first admin; the member took no email key.
        let shown = m.get_tenant(me.tenant_name()).await.unwrap().admin_email;
        assert_eq!(shown, format!("first{i}@matrix.io"));
        t.assert_no_garbage_keys().await;
        let me = m
            .verify_token(
                &m.authenticate(&format!("me{i}@matrix.io"), "another-password-42")
                    .await
                    .unwrap()
                    .access_token,
            )
            .await
            .unwrap();
        check("delete", owns, outcome(&m.delete_tenant(&me).await));
        let there = m.get_tenant(me.tenant_name()).await;
        assert_eq!(
            there.is_ok(),
            !owns,
            "{role}: the tenant is there unless an owner deleted it"
        );
    }
}

fn outcome<T>(r: &tenantry::Result<T>) -> Result<(), &'static str> {
    r.as_ref().map(|_| ()).map_err(|e| e.code())
}

#[tokio::test]
async fn an_api_key_manages_no_members() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let owner = tenant_with_login(&m, "Keyed", "owner@keyed.io").await;
    let key = m
        .create_api_key(&owner, NewApiKey::new("bot", ["x"]))
        .await
        .unwrap();
    let bot = m.verify_api_key(&key.key).await.unwrap();
    assert_eq!(bot.role(), None);
    assert!(bot.may(Action::UseData) && !bot.may(Action::ManageMembers));
    assert_eq!(code(m.members(&bot).await), "FORBIDDEN");
    assert_eq!(
        code(
            m.invite_member(&bot, NewInvitation::new("x@keyed.io", Role::Member))
                .await
        ),
        "FORBIDDEN"
    );
    assert_eq!(
        code(
            m.set_member_role(&bot, owner.admin_id(), Role::Member)
                .await
        ),
        "FORBIDDEN"
    );
    assert_eq!(
        code(m.remove_member(&bot, owner.admin_id()).await),
        "FORBIDDEN"
    );
    assert_eq!(code(m.invitations(&bot).await), "FORBIDDEN");
}

#[tokio::test]
async fn the_last_owner_is_never_removed_or_demoted() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let first = tenant_with_login(&m, "Owners", "first@owners.io").await;
    assert_eq!(
        code(
            m.set_member_role(&first, first.admin_id(), Role::Admin)
                .await
        ),
        "LAST_OWNER"
    );
    let second = join(&m, &first, "second@owners.io", Role::Owner).await;
    assert_eq!(
        code(m.remove_member(&second, first.admin_id()).await),
        "FORBIDDEN",
        "the first admin is demoted, never removed"
    );
    // Demoted, the first admin keeps its tokens but loses the owner's rights.
    m.set_member_role(&second, first.admin_id(), Role::Member)
        .await
        .unwrap();
    let first = m
        .verify_token(
            &m.authenticate("first@owners.io", PASSWORD)
                .await
                .unwrap()
                .access_token,
        )
        .await
        .unwrap();
    assert_eq!(first.role(), Some(Role::Member));
    assert_eq!(code(m.rename_tenant(&first, "Mine Now").await), "FORBIDDEN");
    assert_eq!(
        code(
            m.set_member_role(&second, second.admin_id(), Role::Admin)
                .await
        ),
        "LAST_OWNER"
    );
    assert_eq!(
        code(m.remove_member(&second, second.admin_id()).await),
        "LAST_OWNER"
    );
    let owners = |ms: Vec<tenantry::Member>| ms.iter().filter(|x| x.role == Role::Owner).count();
    assert_eq!(owners(m.members(&second).await.unwrap()), 1);
}

/// Two owners demote each other (or themselves) at the same moment, from two processes:
/// exactly one succeeds and one owner remains, every time.
#[tokio::test]
async fn two_owners_demoting_each_other_at_once_leave_one_owner() {
    let t = TestDb::new().await;
    let (m1, m2) = (t.manager().await, t.second_manager().await);
    for round in 0..6 {
        let name = format!("Race {round}");
        let first = tenant_with_login(&m1, &name, &format!("a{round}@race.io")).await;
        let b = join(&m1, &first, &format!("b{round}@race.io"), Role::Owner).await;
        let (x, y) = tokio::join!(
            m1.set_member_role(&first, b.admin_id(), Role::Admin),
            m2.set_member_role(&b, first.admin_id(), Role::Admin)
        );
        let ok = [x.is_ok(), y.is_ok()].iter().filter(|o| **o).count();
        assert_eq!(ok, 1, "round {round}: {x:?} / {y:?}");
        for r in [&x, &y] {
            if let Err(e) = r {
                assert!(matches!(e.code(), "LAST_OWNER" | "FORBIDDEN"), "{e:?}");
            }
        }
        let members = m1.members(&first).await;
        let members = match members {
            Ok(ms) => ms,
            Err(_) => m1.members(&b).await.unwrap(),
        };
        let owners = members.iter().filter(|x| x.role == Role::Owner).count();
        assert_eq!(owners, 1, "round {round}: {members:?}");
    }
}

#[tokio::test]
async fn an_invitation_is_used_once_also_when_accepts_race() {
    let t = TestDb::new().await;
    let (m1, m2) = (t.manager().await, t.second_manager().await);
    let owner = tenant_with_login(&m1, "Once", "owner@once.io").await;
    for round in 0..4 {
        let email = format!("joiner{round}@once.io");
        let inv = m1
            .invite_member(&owner, NewInvitation::new(&email, Role::Member))
            .await
            .unwrap();
        let results = futures_util::future::join_all((0..6).map(|i| {
            let m = if i % 2 == 0 { &m1 } else { &m2 };
            let token = inv.token.clone();
            async move {
                m.accept_invitation(&token, &format!("password-{i}-long"))
                    .await
            }
        }))
        .await;
        let joined: Vec<_> = results.iter().filter(|r| r.is_ok()).collect();
        assert_eq!(joined.len(), 1, "round {round}: {results:?}");
        for r in results.iter().filter(|r| r.is_err()) {
            assert!(r.as_ref().unwrap_err().code() == "UNAUTHORIZED", "{r:?}");
        }
        let with_email = t
            .documents("admin_users")
            .await
            .into_iter()
            .filter(|a| a.get_str("email") == Ok(email.as_str()))
            .count();
        assert_eq!(with_email, 1);
        // Used up: a later accept is refused too.
        assert_eq!(
            code(m1.accept_invitation(&inv.token, PASSWORD).await),
            "UNAUTHORIZED"
        );
    }
}

/// An accept racing a revoke: the invitation is used or revoked, never both (the accept's
/// one conditional update is its commit point); and a used invitation stays used after
/// its member is removed.
#[tokio::test]
async fn an_accept_racing_a_revoke_never_both_succeed() {
    let t = TestDb::new().await;
    let (m1, m2) = (t.manager().await, t.second_manager().await);
    let owner = tenant_with_login(&m1, "Revoke Race", "owner@rr.io").await;
    let mut outcomes = (0, 0);
    for round in 0..24u64 {
        let email = format!("r{round}@rr.io");
        let inv = m1
            .invite_member(&owner, NewInvitation::new(&email, Role::Member))
            .await
            .unwrap();
        let (accepted, revoked) = tokio::join!(m1.accept_invitation(&inv.token, PASSWORD), async {
            // Staggered, so that the revoke lands before, during and after the accept.
            tokio::time::sleep(std::time::Duration::from_micros(round * 400)).await;
            m2.revoke_invitation(&owner, inv.info.id).await
        });
        let revoked = revoked.unwrap();
        assert_ne!(
            accepted.is_ok(),
            revoked,
            "round {round}: {accepted:?}, revoked {revoked}"
        );
        let joined = m1
            .members(&owner)
            .await
            .unwrap()
            .iter()
            .any(|x| x.email == email);
        assert_eq!(joined, accepted.is_ok());
        match accepted {
            Ok(member) => {
                outcomes.0 += 1;
                // Removed, the member cannot come back with the same invitation.
                assert!(m1.remove_member(&owner, member.id).await.unwrap());
                assert_eq!(
                    code(m1.accept_invitation(&inv.token, PASSWORD).await),
                    "UNAUTHORIZED"
                );
            }
            Err(_) => outcomes.1 += 1,
        }
    }
    println!("accepted {}, revoked {}", outcomes.0, outcomes.1);
}

#[tokio::test]
async fn bad_revoked_and_expired_invitations_are_refused_and_change_nothing() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let owner = tenant_with_login(&m, "Gate", "owner@gate.io").await;
    let inv = m
        .invite_member(&owner, NewInvitation::new("late@gate.io", Role::Admin))
        .await
        .unwrap();
    // A weak password refuses the accept before anything is used.
    let weak = m.accept_invitation(&inv.token, "short").await.unwrap_err();
    assert_eq!(
        (weak.code(), weak.field()),
        ("INVALID_INPUT", Some("password"))
    );
    assert_eq!(
        m.invitations(&owner).await.unwrap().len(),
        1,
        "still pending"
    );
    // A wrong secret, a malformed token, another prefix.
    let (head, secret) = inv.token.rsplit_once('_').unwrap();
    let flipped = format!("{head}_{}", secret.chars().rev().collect::<String>());
    for bad in [
        flipped.as_str(),
        "tni_x_y",
        "",
        "tnk_abc",
        &format!(" {}", inv.token),
    ] {
        assert_eq!(
            code(m.accept_invitation(bad, PASSWORD).await),
            "UNAUTHORIZED",
            "{bad:?}"
        );
    }
    assert!(m.revoke_invitation(&owner, inv.info.id).await.unwrap());
    assert!(
        !m.revoke_invitation(&owner, inv.info.id).await.unwrap(),
        "once"
    );
    assert_eq!(
        code(m.accept_invitation(&inv.token, PASSWORD).await),
        "UNAUTHORIZED"
    );
    // Expired: the stored expiry moved into the past.
    let old = m
        .invite_member(&owner, NewInvitation::new("old@gate.io", Role::Member))
        .await
        .unwrap();
    t.raw("tenant_invitations")
        .update_one(
            doc! { "_id": old.info.id },
            doc! { "$set": { "expires_at": tenantry::mongodb::bson::DateTime::from_millis(1) } },
        )
        .await
        .unwrap();
    assert_eq!(
        code(m.accept_invitation(&old.token, PASSWORD).await),
        "UNAUTHORIZED"
    );
    // Expiries out of range, a bad email, a member's own email.
    let past = chrono::Utc::now() - chrono::Duration::seconds(5);
    let far = chrono::Utc::now() + chrono::Duration::days(31);
    for (invitation, field) in [
        (
            NewInvitation::new("a@gate.io", Role::Member).expires_at(past),
            "expires_at",
        ),
        (
            NewInvitation::new("a@gate.io", Role::Member).expires_at(far),
            "expires_at",
        ),
        (NewInvitation::new("not an email", Role::Member), "email"),
    ] {
        let e = m.invite_member(&owner, invitation).await.unwrap_err();
        assert_eq!((e.code(), e.field()), ("INVALID_INPUT", Some(field)));
    }
    let e = m
        .invite_member(&owner, NewInvitation::new("OWNER@gate.io", Role::Member))
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), e.field()),
        ("TENANT_ALREADY_EXISTS", Some("email"))
    );
    let admins = t.count("admin_users").await;
    assert_eq!(admins, 1, "nobody joined");
}

#[tokio::test]
async fn one_email_in_two_tenants_logs_into_the_one_it_names_or_its_password_opens() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let a = tenant_with_login(&m, "Alpha", "alpha@x.io").await;
    let b = tenant_with_login(&m, "Beta", "beta@x.io").await;
    let email = "both@x.io";
    for (owner, password) in [(&a, "alpha-password"), (&b, "beta-password")] {
        let inv = m
            .invite_member(owner, NewInvitation::new(email, Role::Member))
            .await
            .unwrap();
        m.accept_invitation(&inv.token, password).await.unwrap();
    }
    // Different passwords: the password says which.
    let into_b = m.authenticate(email, "beta-password").await.unwrap();
    assert_eq!(into_b.tenant_id, b.tenant_id());
    assert_eq!(
        code(m.authenticate(email, "wrong-password").await),
        "INVALID_CREDENTIALS"
    );
    // Named: only that tenant's account is tried.
    assert_eq!(
        code(
            m.authenticate_in("Alpha", email, "beta-password", None)
                .await
        ),
        "INVALID_CREDENTIALS"
    );
    // A first admin named into a tenant it is not a member of.
    assert_eq!(
        code(
            m.authenticate_in("Beta", "alpha@x.io", PASSWORD, None)
                .await
        ),
        "INVALID_CREDENTIALS"
    );
    let into_a = m
        .authenticate_in("alpha", email, "alpha-password", None)
        .await
        .unwrap();
    assert_eq!(into_a.tenant_id, a.tenant_id());
    assert_eq!(
        code(
            m.authenticate_in("Gamma", email, "alpha-password", None)
                .await
        ),
        "INVALID_CREDENTIALS"
    );
    // The same password in both: the login must name the tenant.
    let claims_b = m.verify_token(&into_b.access_token).await.unwrap();
    m.update_tenant(
        &claims_b,
        TenantUpdate::new().admin_password("alpha-password"),
    )
    .await
    .unwrap();
    let e = m.authenticate(email, "alpha-password").await.unwrap_err();
    assert_eq!(
        (e.code(), e.field()),
        ("INVALID_INPUT", Some("organization_name"))
    );
    let session = m
        .login_session_in("Beta", email, "alpha-password", None)
        .await
        .unwrap();
    assert_eq!(session.access.tenant_id, b.tenant_id());
    // A joined member's email does not change through an update.
    let e = m
        .update_tenant(
            &m.verify_token(&session.access.access_token).await.unwrap(),
            TenantUpdate::new().admin_email("elsewhere@x.io"),
        )
        .await
        .unwrap_err();
    assert_eq!((e.code(), e.field()), ("INVALID_INPUT", Some("email")));
    // Nor does a first admin take a member's email of its own tenant.
    let e = m
        .update_tenant(&a, TenantUpdate::new().admin_email(email))
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), e.field()),
        ("TENANT_ALREADY_EXISTS", Some("email"))
    );
}

#[tokio::test]
async fn a_removed_member_is_locked_out_and_rejoining_does_not_revive_its_tokens() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let owner = tenant_with_login(&m, "Leavers", "owner@leave.io").await;
    let _ = join(&m, &owner, "temp@leave.io", Role::Admin).await;
    let session = m
        .login_session("temp@leave.io", PASSWORD, None)
        .await
        .unwrap();
    let temp = m.verify_token(&session.access.access_token).await.unwrap();
    assert!(m.remove_member(&owner, temp.admin_id()).await.unwrap());
    assert!(
        !m.remove_member(&owner, temp.admin_id()).await.unwrap(),
        "once"
    );
    assert_eq!(
        code(m.verify_token(&session.access.access_token).await),
        "UNAUTHORIZED"
    );
    assert_eq!(
        code(m.refresh_session(&session.refresh_token).await),
        "UNAUTHORIZED"
    );
    assert_eq!(
        code(m.authenticate("temp@leave.io", PASSWORD).await),
        "INVALID_CREDENTIALS"
    );
    // Invited again, the same email is the same member id, but its old token stays dead.
    let _ = join(&m, &owner, "temp@leave.io", Role::Member).await;
    assert_eq!(
        code(m.verify_token(&session.access.access_token).await),
        "UNAUTHORIZED"
    );
}

/// A member operation of one tenant never reaches another tenant's members, invitations
/// or data: ids of another tenant's members are "no such member".
#[tokio::test]
async fn member_operations_stay_inside_their_tenant() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let bystanders = Bystanders::seed(&t, &m).await;
    let mine = tenant_with_login(&m, "Mine", "owner@mine.io").await;
    let theirs = tenant_with_login(&m, "Theirs", "owner@theirs.io").await;
    let their_member = join(&m, &theirs, "member@theirs.io", Role::Member).await;
    let their_inv = m
        .invite_member(
            &theirs,
            NewInvitation::new("pending@theirs.io", Role::Member),
        )
        .await
        .unwrap();
    let before = (
        t.documents("admin_users").await,
        t.documents("organizations").await,
    );

    assert_eq!(
        m.set_member_role(&mine, their_member.admin_id(), Role::Owner)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        m.set_member_role(&mine, theirs.admin_id(), Role::Member)
            .await
            .unwrap(),
        None
    );
    assert!(!m
        .remove_member(&mine, their_member.admin_id())
        .await
        .unwrap());
    assert!(!m.remove_member(&mine, theirs.admin_id()).await.unwrap());
    assert!(!m.revoke_invitation(&mine, their_inv.info.id).await.unwrap());
    assert!(m.invitations(&mine).await.unwrap().is_empty());
    assert!(m
        .members(&mine)
        .await
        .unwrap()
        .iter()
        .all(|x| x.email == "owner@mine.io"));
    assert_eq!(
        m.set_member_role(&mine, ObjectId::new(), Role::Admin)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        (
            t.documents("admin_users").await,
            t.documents("organizations").await
        ),
        before,
        "nothing of another tenant changed"
    );
    assert_eq!(m.invitations(&theirs).await.unwrap().len(), 1);

    // Deleting a tenant takes its members and invitations, nobody else's.
    let leaving = join(&m, &mine, "leaving@mine.io", Role::Member).await;
    m.invite_member(&mine, NewInvitation::new("never@mine.io", Role::Member))
        .await
        .unwrap();
    m.delete_tenant(&mine).await.unwrap();
    assert_eq!(
        code(m.authenticate("leaving@mine.io", PASSWORD).await),
        "INVALID_CREDENTIALS"
    );
    assert_eq!(code(m.members(&leaving).await), "UNAUTHORIZED");
    let left: Vec<Document> = t.documents("tenant_invitations").await;
    assert!(left
        .iter()
        .all(|i| i.get_object_id("tenant") == Ok(theirs.tenant_id())));
    assert!(t
        .documents("admin_users")
        .await
        .iter()
        .all(|a| a.get_object_id("organization_id") != Ok(mine.tenant_id())));
    assert_eq!(m.members(&theirs).await.unwrap().len(), 2);
    bystanders.assert_untouched(&t, "member operations").await;
    t.assert_consistent_beside(&bystanders.foreign_names())
        .await;
}

#[tokio::test]
async fn members_travel_with_an_archive() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let owner = tenant_with_login(&m, "Packed", "owner@packed.io").await;
    let _ = join(&m, &owner, "adm@packed.io", Role::Admin).await;
    let _ = join(&m, &owner, "co@packed.io", Role::Owner).await;
    let mut archive = Vec::new();
    m.export_tenant("Packed", &mut archive).await.unwrap();
    let copy = m
        .import_tenant(
            &mut archive.as_slice(),
            ImportOptions::new()
                .name("Unpacked")
                .admin_email("owner2@packed.io"),
        )
        .await
        .unwrap();
    let token = m
        .authenticate_in("Unpacked", "adm@packed.io", PASSWORD, None)
        .await
        .unwrap();
    let adm = m.verify_token(&token.access_token).await.unwrap();
    assert_eq!(adm.tenant_id(), copy.0.id);
    let roles: Vec<(String, Role, bool)> = m
        .members(&adm)
        .await
        .unwrap()
        .into_iter()
        .map(|x| (x.email, x.role, x.first_admin))
        .collect();
    assert_eq!(
        roles,
        [
            ("owner2@packed.io".to_owned(), Role::Owner, true),
            ("adm@packed.io".to_owned(), Role::Admin, false),
            ("co@packed.io".to_owned(), Role::Owner, false),
        ]
    );
    // Two owners in the copy: one of them may step down.
    let co = m
        .verify_token(
            &m.authenticate_in("Unpacked", "co@packed.io", PASSWORD, None)
                .await
                .unwrap()
                .access_token,
        )
        .await
        .unwrap();
    m.set_member_role(&co, co.admin_id(), Role::Admin)
        .await
        .unwrap();
}
