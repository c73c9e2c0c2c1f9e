//! The one integration-test binary: every end-to-end test of the CLI, the engine and the service.

mod api;
mod batch_scoring;
mod cli;
mod console;
mod dataset;
mod doubles;
mod durability;
mod edges;
mod engine;
mod english;
mod explanations;
mod freshness;
mod generator;
mod golden;
mod imports;
mod monotonicity;
mod outcomes;
mod pairing;
mod programme_rules;
mod proposals;
mod refit;
mod review_race;
mod support;
