//! Where a tenant's data lives: its layout, and the physical names of its database and
//! collections. Pure functions; the lifecycle records the outcome in the tenant's record,
//! so a change of configuration never moves an existing tenant.
//!
//! | layout       | database                       | default collection                     |
//! |--------------|--------------------------------|----------------------------------------|
//! | `collection` | the tenants' database          | `org_<slug>` (`slug`) or `org_<id>` (`stable`) |
//! | `database`   | `tenant_<id>`, the tenant's own | `data`                                 |
//! | `shared`     | the tenants' database          | `shared_data`, documents stamped `_tenant` |
//!
//! `<id>` is the tenant's immutable id in hex: with `stable` names (and always in the
//! `database` and `shared` layouts) a rename changes the record only and moves no data.
//! MongoDB cannot rename a database, so the `database` layout has no `slug` names.

use std::fmt;
use std::str::FromStr;

use mongodb::bson::oid::ObjectId;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::naming::{TenantName, COLLECTION_PREFIX, MAX_NAMESPACE_BYTES};

/// Prefix of the database of a tenant in the `database` layout.
pub const DATABASE_PREFIX: &str = "tenant_";
/// Prefix of the shared collections of the `shared` layout.
pub const SHARED_PREFIX: &str = "shared_";
/// Logical name of a tenant's default collection.
pub const DEFAULT_COLLECTION: &str = "data";
/// The name of the home cluster: the one the catalog lives on.
pub const HOME_CLUSTER: &str = "home";
/// The field that stamps a document of the `shared` layout with its tenant's id.
pub const TENANT_FIELD: &str = "_tenant";

/// How a tenant's data is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Layout {
    /// One collection per tenant in the tenants' database (the original service's).
    #[default]
    Collection,
    /// The tenant's own database, its collections inside.
    Database,
    /// Documents of many tenants in shared collections, each stamped with its tenant's id.
    Shared,
}

impl Layout {
    /// Every layout.
    pub const ALL: [Layout; 3] = [Layout::Collection, Layout::Database, Layout::Shared];

    /// `collection`, `database` or `shared`.
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Collection => "collection",
            Layout::Database => "database",
            Layout::Shared => "shared",
        }
    }
}

impl FromStr for Layout {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Layout::ALL
            .into_iter()
            .find(|l| l.as_str() == s.trim())
            .ok_or_else(|| Error::invalid("layout", "must be 'collection', 'database' or 'shared'"))
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the physical names of a tenant in the `collection` layout are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Naming {
    /// `org_<slug of the name>` (the original service's): a rename moves the collection.
    #[default]
    Slug,
    /// `org_<tenant id>`: a rename changes the record only.
    Stable,
}

impl Naming {
    /// `slug` or `stable`.
    pub fn as_str(self) -> &'static str {
        match self {
            Naming::Slug => "slug",
            Naming::Stable => "stable",
        }
    }
}

impl FromStr for Naming {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "slug" => Ok(Naming::Slug),
            "stable" => Ok(Naming::Stable),
            _ => Err(Error::invalid("naming", "must be 'slug' or 'stable'")),
        }
    }
}

impl fmt::Display for Naming {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The physical home of a tenant's data: its layout, its database and its default
/// collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Home {
    pub layout: Layout,
    pub naming: Naming,
    pub database: String,
    pub collection: String,
}

/// Where a new tenant `id` named `name` goes, given the tenants' database.
pub(crate) fn home(
    layout: Layout,
    naming: Naming,
    id: ObjectId,
    name: &TenantName,
    tenants_db: &str,
) -> Home {
    let (naming, database, collection) = match (layout, naming) {
        (Layout::Collection, Naming::Slug) => (
            Naming::Slug,
            tenants_db.to_owned(),
            name.collection().to_owned(),
        ),
        (Layout::Collection, Naming::Stable) => (
            Naming::Stable,
            tenants_db.to_owned(),
            format!("{COLLECTION_PREFIX}{}", id.to_hex()),
        ),
        (Layout::Database, _) => (
            Naming::Stable,
            tenant_database(id),
            DEFAULT_COLLECTION.to_owned(),
        ),
        (Layout::Shared, _) => (
            Naming::Stable,
            tenants_db.to_owned(),
            shared_collection(DEFAULT_COLLECTION),
        ),
    };
    Home {
        layout,
        naming,
        database,
        collection,
    }
}

/// The database of tenant `id` in the `database` layout.
pub(crate) fn tenant_database(id: ObjectId) -> String {
    format!("{DATABASE_PREFIX}{}", id.to_hex())
}

/// The shared collection holding the logical collection `logical` of every tenant.
pub(crate) fn shared_collection(logical: &str) -> String {
    format!("{SHARED_PREFIX}{logical}")
}

/// Whether a rename of a tenant of this home moves its data (to `org_<new slug>`).
pub(crate) fn rename_moves(home_layout: Layout, naming: Naming) -> bool {
    home_layout == Layout::Collection && naming == Naming::Slug
}

/// The physical collection of the logical collection `logical` of a tenant whose default
/// collection is `default` in `database`. `INVALID_INPUT` for a name MongoDB cannot hold,
/// and for any name but the default in the `collection` layout (one collection per
/// tenant).
pub(crate) fn physical_collection(
    layout: Layout,
    database: &str,
    default: &str,
    logical: &str,
) -> Result<String> {
    const FIELD: &str = "collection";
    if logical == DEFAULT_COLLECTION {
        return Ok(default.to_owned());
    }
    if logical.is_empty()
        || logical.contains(['$', '\0'])
        || logical.starts_with("system.")
        || logical.starts_with('.')
        || logical.ends_with('.')
    {
        return Err(Error::invalid(
            FIELD,
            "must be a non-empty collection name without '$' or NUL, not starting with 'system.'",
        ));
    }
    let physical = match layout {
        Layout::Collection => {
            return Err(Error::invalid(
                FIELD,
                format_args!(
                    "a tenant in the collection layout has one collection, '{DEFAULT_COLLECTION}'; \
                     use the database or shared layout for more"
                ),
            ))
        }
        Layout::Database => logical.to_owned(),
        Layout::Shared => shared_collection(logical),
    };
    if database.len() + 1 + physical.len() > MAX_NAMESPACE_BYTES {
        return Err(Error::invalid(
            FIELD,
            format_args!("too long for MongoDB's {MAX_NAMESPACE_BYTES}-byte namespace limit"),
        ));
    }
    Ok(physical)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(raw: &str) -> TenantName {
        TenantName::parse(raw, "master_db").unwrap()
    }

    #[test]
    fn homes_by_layout() {
        let id = ObjectId::parse_str("65a000000000000000000001").unwrap();
        let acme = name("Acme Corp");
        let slug = home(Layout::Collection, Naming::Slug, id, &acme, "t");
        assert_eq!(
            (slug.database.as_str(), slug.collection.as_str()),
            ("t", "org_acme_corp")
        );
        let stable = home(Layout::Collection, Naming::Stable, id, &acme, "t");
        assert_eq!(stable.collection, "org_65a000000000000000000001");
        let db = home(Layout::Database, Naming::Slug, id, &acme, "t");
        assert_eq!(
            (db.database.as_str(), db.collection.as_str(), db.naming),
            ("tenant_65a000000000000000000001", "data", Naming::Stable)
        );
        let shared = home(Layout::Shared, Naming::Slug, id, &acme, "t");
        assert_eq!(
            (shared.database.as_str(), shared.collection.as_str()),
            ("t", "shared_data")
        );
        assert!(rename_moves(Layout::Collection, Naming::Slug));
        assert!(!rename_moves(Layout::Collection, Naming::Stable));
        assert!(!rename_moves(Layout::Shared, Naming::Slug));
    }

    #[test]
    fn logical_collections() {
        let p = |layout, logical| physical_collection(layout, "db", "home", logical);
        assert_eq!(p(Layout::Collection, "data").unwrap(), "home");
        assert_eq!(
            p(Layout::Collection, "notes").unwrap_err().code(),
            "INVALID_INPUT"
        );
        assert_eq!(p(Layout::Database, "notes").unwrap(), "notes");
        assert_eq!(p(Layout::Shared, "notes").unwrap(), "shared_notes");
        for bad in ["", "a$b", "system.x", "a\0", ".a", "a."] {
            assert!(p(Layout::Shared, bad).is_err(), "{bad:?}");
        }
        assert!(p(Layout::Database, &"x".repeat(300)).is_err());
        assert_eq!("shared".parse::<Layout>().unwrap(), Layout::Shared);
        assert!("tables".parse::<Layout>().is_err());
    }
}
