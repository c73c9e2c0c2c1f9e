//! shuanggao: matchmaking between Jiangsu high-tech zones and universities (双高协同).
//!
//! The codemap and the invariants live in `README.md` (section "Architecture").

pub mod app;
pub mod auth;
pub mod domain;
pub mod http;
pub mod review;
pub mod store;
