//! Python binding (placeholder until its issue lands).
