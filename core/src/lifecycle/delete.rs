//! Delete: claim the record (state `deleting`, with the identity of the tenant's collection
//! and its admins) -> `check` (the token checked again) -> `collection` (dropped only if it
//! is still the collection of that identity; in the `database` layout the database whose
//! first collection has that identity; in the `shared` layout the documents stamped with
//! the tenant's id) -> `admins` -> `release` (the record removed) -> the keys given back,
//! last.
//!
//! Until the record is gone the tenant's keys stay taken, so no create can reuse its name
//! or collection while the delete runs; and what the delete drops is identified by the
//! collection's UUID, so a delete resumed later never reaches another tenant's data.

use std::time::Instant;

use super::{execute, new_journal, started, tenant_of, Fail, Operation, Run, StepResult};
use crate::auth::Claims;
use crate::context::Cx;
use crate::error::{Error, Result};
use crate::placement::Layout;
use crate::store::{DeleteDetail, Detail, OrgDoc, State};

/// A delete, as journaled in its record.
pub(crate) struct Delete {
    org: OrgDoc,
    detail: DeleteDetail,
}

impl Delete {
    pub(crate) fn from_record(org: &OrgDoc, detail: &DeleteDetail) -> Self {
        Delete {
            org: org.clone(),
            detail: detail.clone(),
        }
    }
}

impl Operation for Delete {
    const KIND: &'static str = "delete";
    const STEPS: &'static [&'static str] = &["check", "collection", "admins", "release"];
    const COMMIT: u32 = 1;

    async fn step(&self, run: &Run<'_>, i: u32) -> StepResult {
        let store = run.store();
        let d = &self.detail;
        run.guard().await?;
        match i {
            0 => {
                let admin = store.admin(d.acting_admin).await?;
                match admin {
                    Some(a)
                        if a.organization_id == self.org.id
                            && a.token_version == d.token_version =>
                    {
                        Ok(())
                    }
                    _ => Err(Fail::Refused(Error::revoked())),
                }
            }
            1 => {
                let (org, data) = (&self.org, run.cx.data(&self.org)?);
                match org.layout {
                    Layout::Collection => {
                        if let Some(uuid) = &d.collection_uuid {
                            data.drop_if_uuid(&org.collection_name, uuid).await?;
                        }
                    }
                    // The database whose first collection is the one the create made.
                    Layout::Database => {
                        if let Some(uuid) = &d.collection_uuid {
                            data.drop_database_if(&org.collection_name, uuid).await?;
                        }
                    }
                    // The tenant's documents only, by their stamp.
                    Layout::Shared => {
                        for shared in data.shared_collections().await? {
                            run.guard().await?;
                            data.delete_stamped(&shared, org.id).await?;
                        }
                    }
                }
                Ok(())
            }
            2 => {
                store.delete_admins_of(self.org.id).await?;
                Ok(())
            }
            _ => run.fenced(store.delete_org(&run.fence).await?),
        }
    }

    async fn undo(&self, _run: &Run<'_>, _i: u32) -> StepResult {
        Ok(()) // The check writes nothing.
    }

    async fn abandon(&self, run: &Run<'_>) -> StepResult {
        run.fenced(run.store().release_unchanged(&run.fence).await?)
    }

    async fn after(&self, cx: &Cx) -> Result<()> {
        // Last, once nothing refers to them: the tenant's and its admins' keys.
        let mut owners = vec![self.org.id, self.org.admin_id];
        owners.extend(&self.detail.admins);
        cx.store.delete_keys_of_owners(&owners).await
    }
}

/// Delete the claims' tenant: its collection, its admins, its record, then its keys.
pub(crate) async fn delete(cx: &Cx, claims: &Claims) -> Result<()> {
    let org = tenant_of(cx, claims).await?;
    let detail = DeleteDetail {
        admins: cx.store.admin_ids_of(org.id).await?,
        collection_uuid: match org.layout {
            Layout::Shared => None,
            _ => cx.data(&org)?.collection_uuid(&org.collection_name).await?,
        },
        acting_admin: claims.admin_id(),
        token_version: claims.token_version(),
    };
    let journal = new_journal(cx, Detail::Delete(detail.clone()));
    let sent = Instant::now();
    if !cx.store.claim(&org, State::Deleting, &journal).await? {
        return Err(Error::busy());
    }
    let run = started(cx, org.id, &journal, journal.owner, sent, "delete.claimed").await?;
    execute(&Delete::from_record(&org, &detail), &run).await
}
