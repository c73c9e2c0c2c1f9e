//! shuanggao: matchmaking between Jiangsu high-tech zones and universities (双高协同).
//!
//! The codemap and the invariants live in `README.md` (section "Architecture").

pub mod analysis;
pub mod domain;
pub mod matching;
pub mod metrics;
pub mod models;
pub mod text_index;
