//! Node binding (placeholder until its issue lands).
