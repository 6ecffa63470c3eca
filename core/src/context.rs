//! The context every operation runs in: configuration, the store, the token codec and the
//! test failpoints. `TenantManager` holds one behind an `Arc`; operations take a `&Cx`.

use std::collections::HashMap;

use mongodb::options::ClientOptions;
use mongodb::Client;
use tokio::sync::OnceCell;

use crate::auth::password;
use crate::auth::token::TokenCodec;
use crate::cache::Cache;
use crate::config::{Config, Connection};
use crate::error::{Error, Result};
use crate::placement::HOME_CLUSTER;
use crate::store::Store;

pub(crate) struct Cx {
    pub config: Config,
    pub store: Store,
    pub tokens: TokenCodec,
    /// A hash verified against when a login has no account to check, so that every failed
    /// login costs one bcrypt verification at the configured cost.
    dummy_hash: OnceCell<String>,
    pub failpoints: Failpoints,
    /// The operations running as tasks of their own; closed by `TenantManager::close`.
    pub running: tokio_util::task::TaskTracker,
    /// The hot path's cache of tenant records and token versions.
    pub cache: Cache,
    /// The clients of the other clusters, by name, with their tags.
    pub clusters: HashMap<String, (Client, Vec<String>)>,
    /// The schema every tenant's data follows, once the application declared it.
    pub schema: std::sync::RwLock<Option<std::sync::Arc<crate::schema::Schema>>>,
}

#[cfg(feature = "failpoints")]
pub(crate) type Failpoints = std::sync::Arc<crate::failpoints::Failpoints>;

/// Without the `failpoints` feature, failpoints cost nothing.
#[cfg(not(feature = "failpoints"))]
#[derive(Default)]
pub(crate) struct Failpoints;

#[cfg(not(feature = "failpoints"))]
impl Failpoints {
    #[inline(always)]
    pub(crate) fn crash_point(&self, _name: &str) {}

    #[inline(always)]
    pub(crate) async fn hit(
        &self,
        _name: &str,
        _lease: &crate::lifecycle::Lease,
    ) -> crate::lifecycle::StepResult {
        Ok(())
    }
}

impl Cx {
    /// Connect, build the store and create its indexes.
    pub(crate) async fn connect(config: Config) -> Result<Cx> {
        let client = client_of(&config.connection, &config).await?;
        let mut clusters = HashMap::new();
        for cluster in &config.clusters {
            let client = client_of(&cluster.connection, &config).await?;
            clusters.insert(cluster.name.clone(), (client, cluster.tags.clone()));
        }
        let store = Store::new(client, &config.master_db, config.durability.write_concern());
        store.ensure_indexes().await?;
        crate::audit::ensure_indexes(&store).await?;
        crate::schema::ensure_indexes(&store).await?;
        crate::sessions::ensure_indexes(&store).await?;
        crate::api_keys::ensure_indexes(&store).await?;
        crate::members::ensure_indexes(&store).await?;
        crate::auth::signing::ensure_indexes(&store).await?;
        let cache = Cache::start(&store, config.cache_capacity);
        if let Some(schema) = &config.schema {
            schema.check()?;
        }
        let schema = config.schema.clone().map(std::sync::Arc::new);
        Ok(Cx {
            cache,
            tokens: TokenCodec::new(&config)?,
            failpoints: failpoints_of(&config),
            config,
            store,
            dummy_hash: OnceCell::new(),
            running: tokio_util::task::TaskTracker::new(),
            clusters,
            schema: std::sync::RwLock::new(schema),
        })
    }

    /// The client of the cluster named `name`. `CONFIG` for a cluster that is not
    /// configured (a record placed by a process configured with more clusters).
    pub(crate) fn client_of(&self, name: &str) -> Result<&Client> {
        if name == HOME_CLUSTER {
            return Ok(&self.store.client);
        }
        match self.clusters.get(name) {
            Some((client, _)) => Ok(client),
            None => Err(Error::Config(format!(
                "clusters: a tenant is placed on cluster '{name}', which is not configured"
            ))),
        }
    }

    /// The store on the database (and cluster) of a tenant's data.
    pub(crate) fn data(&self, org: &crate::store::OrgDoc) -> Result<Store> {
        let client = self.client_of(org.cluster())?;
        Ok(self
            .store
            .on_cluster(org.cluster(), client, org.database(&self.config.master_db)))
    }

    /// The hash verified when there is no account to verify against.
    pub(crate) async fn dummy_hash(&self) -> Result<&str> {
        let hash = self
            .dummy_hash
            .get_or_try_init(|| {
                password::hash(
                    "tenantry-dummy-password",
                    password::Policy::of(&self.config),
                )
            })
            .await?;
        Ok(hash)
    }
}

#[cfg(feature = "failpoints")]
fn failpoints_of(config: &Config) -> Failpoints {
    config.failpoints.clone().unwrap_or_default()
}

#[cfg(not(feature = "failpoints"))]
fn failpoints_of(_: &Config) -> Failpoints {
    Failpoints
}

/// The client of a connection: one made from a URI gets the configured timeouts (unless the
/// URI sets its own); a client passed in keeps its settings.
async fn client_of(connection: &Connection, config: &Config) -> Result<Client> {
    Ok(match connection {
        Connection::Uri(uri) => {
            let mut options = ClientOptions::parse(uri.expose())
                .await
                .map_err(uri_error)?;
            // A timeout the URI sets itself wins over the configured default.
            options
                .server_selection_timeout
                .get_or_insert(config.database_timeout);
            options
                .connect_timeout
                .get_or_insert(config.database_timeout);
            Client::with_options(options).map_err(uri_error)?
        }
        Connection::Client(client) => client.clone(),
    })
}

/// An unusable connection string, said without the string (it may hold a password).
fn uri_error(e: mongodb::error::Error) -> Error {
    let problem = match e.kind.as_ref() {
        mongodb::error::ErrorKind::InvalidArgument { message, .. } => message.as_str(),
        _ => "it cannot be parsed",
    };
    Error::Config(format!("mongo_uri: {problem}"))
}
