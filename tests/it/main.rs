//! The one integration-test binary: every end-to-end test of the CLI, the engine and the service.

mod api;
mod cli;
mod durability;
mod review_race;
mod support;
