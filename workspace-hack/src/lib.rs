//! Feature unification for the workspace's builds; see `Cargo.toml`. Empty on purpose.
