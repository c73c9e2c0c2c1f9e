//! The HTTP layer: the only module that knows axum and tower.

pub mod console;
