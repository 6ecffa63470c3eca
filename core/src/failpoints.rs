//! Crash points for the fault-injection tests (feature `failpoints` only).

/// Every failpoint in the lifecycle, in the order the steps run.
pub const ALL: &[&str] = &[
    "create.record_inserted",
    "create.keys_taken",
    "create.admin_inserted",
    "create.collection_created",
    "update.claimed",
    "update.keys_taken",
    "update.admin_updated",
    "update.collection_renamed",
    "update.admins_renamed",
    "update.released",
    "delete.claimed",
    "delete.collection_dropped",
    "delete.keys_given_back",
    "delete.admins_deleted",
    "recover.create_collection_dropped",
];

/// Abort the process, with no cleanup, if `TENANTRY_FAILPOINT` names `name`.
pub fn hit(name: &str) {
    if std::env::var("TENANTRY_FAILPOINT").is_ok_and(|v| v == name) {
        std::process::abort();
    }
}
