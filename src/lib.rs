//! shuanggao: matchmaking between Jiangsu high-tech zones and universities (双高协同).
//!
//! The codemap, the invariants and the cross-cutting concerns live in `docs/architecture.md`.

pub mod analysis;
pub mod app;
pub mod auth;
pub mod data_lock;
pub mod dataset;
pub mod domain;
pub mod error_code;
pub mod evaluation;
pub mod generator;
pub mod http;
pub mod matching;
pub mod models;
pub mod outcome;
pub mod outcome_report;
pub mod pairing;
pub mod review;
pub mod spreadsheet;
pub mod store;
pub mod targets;
pub mod text_index;
