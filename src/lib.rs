//! shuanggao: matchmaking between Jiangsu high-tech zones and universities (双高协同).
//!
//! The codemap and the invariants live in `README.md` (section "Architecture").

pub mod domain;
pub mod pairing;
