//! Delete: claim the record (state `deleting`) -> drop the collection -> delete the admins
//! -> delete the record. Recovery finishes an interrupted delete.

use mongodb::bson::doc;

use crate::auth::Claims;
use crate::error::{Error, Result};
use crate::failpoint;
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
                doc! { "_id": org.id, "state": "active" },
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
        let mut collections = org.collection_names.clone();
        if !collections.contains(&org.collection_name) {
            collections.push(org.collection_name.clone());
        }
        for collection in &collections {
            self.drop_collection(collection).await?;
        }
        failpoint!("delete.collection_dropped");
        self.store
            .admins
            .delete_many(doc! { "organization_id": org.id })
            .await?;
        failpoint!("delete.admins_deleted");
        self.store.orgs.delete_one(by_id(org.id)).await?;
        Ok(())
    }
}
