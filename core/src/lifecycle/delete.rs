//! Delete: claim the record (state `deleting`) -> drop the collection -> give the keys
//! back -> delete the admins -> delete the record. Recovery finishes an interrupted delete.

use futures_util::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId};

use crate::auth::Claims;
use crate::error::{Error, Result};
use crate::failpoint;
use crate::lifecycle::pinned;
use crate::manager::{by_id, Inner};
use crate::store::OrgDoc;

impl Inner {
    pub(crate) async fn delete(&self, claims: &Claims, name: &str) -> Result<()> {
        let org = self.authorize(claims, name).await?;
        let op = self.new_operation();
        let claimed = self
            .store
            .orgs
            .update_one(
                pinned(&org),
                doc! { "$set": {
                    "state": "deleting",
                    "op": mongodb::bson::to_bson(&op).map_err(Error::internal)?,
                } },
            )
            .await?;
        if claimed.matched_count == 0 {
            return Err(Error::busy());
        }
        failpoint!("delete.claimed");
        self.finish_delete(&org).await
    }

    /// Carry a claimed delete to its end. Idempotent.
    pub(crate) async fn finish_delete(&self, org: &OrgDoc) -> Result<()> {
        self.drop_collection(&org.collection_name).await?;
        failpoint!("delete.collection_dropped");
        let mut owners: Vec<ObjectId> = self
            .store
            .admins
            .find(doc! { "organization_id": org.id })
            .await?
            .try_collect::<Vec<_>>()
            .await?
            .into_iter()
            .map(|a| a.id)
            .collect();
        owners.extend([org.id, org.admin_id]);
        self.give_back_all_keys(&owners).await?;
        failpoint!("delete.keys_given_back");
        self.store
            .admins
            .delete_many(doc! { "organization_id": org.id })
            .await?;
        failpoint!("delete.admins_deleted");
        self.store.orgs.delete_one(by_id(org.id)).await?;
        Ok(())
    }
}
