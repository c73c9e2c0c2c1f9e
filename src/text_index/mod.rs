//! The full-text index of teams and demands: the only module that imports tantivy.
//!
//! Two tantivy indexes live under one directory (`teams/`, `demands/`) beside a `manifest.json` that records
//! the dataset fingerprint and the analyzer and schema versions; [`TextIndex::open_or_build`] reopens the
//! index when the manifest still matches and rebuilds it otherwise. Documents arrive already analysed (the
//! engine analyses every text once and shares the terms with the models): each field value is the analyzer's
//! terms, each followed by [`TERM_SEPARATOR`], and the [`TermsTokenizer`] registered on every text field
//! splits them again, so the index holds exactly the analyzer's terms (with their frequencies and field
//! lengths; positions are not indexed). [`SgTokenizer`] is the analyzer itself as a tantivy tokenizer. Queries are weighted OR queries of term queries over all text fields with field boosts,
//! built from analyzer terms (never from tantivy's query parser, which turns unspaced Chinese into phrases),
//! scored by BM25. Each document carries a `key` (a stable 64-bit hash of its id, see [`doc_key`]) that the
//! engine maps back to its own records. [`highlight`] makes snippets with the matched terms marked.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::analysis::Token;
use crate::error_code::ErrorCode;

mod build;
mod side;
mod snippets;
#[cfg(test)]
mod tests;
mod tokenizer;

pub use build::{IndexBuilder, TextIndex};
pub use snippets::{Snippet, Tokens, highlight, highlight_tokens, term_hash, tokens};
pub use tokenizer::{SgTokenStream, SgTokenizer, TermsTokenStream, TermsTokenizer, join_terms};

/// Bumped whenever the fields or their options change; part of the manifest.
pub const SCHEMA_VERSION: u32 = 2;

/// Name under which [`SgTokenizer`] is registered on every index.
pub const TOKENIZER_NAME: &str = "shuanggao";

/// Name of the [`TermsTokenizer`], the tokenizer of every text field.
pub const TERMS_TOKENIZER_NAME: &str = "shuanggao_terms";

/// Follows every term of a field value given to the index (never part of a term: the analyzer drops
/// control characters).
pub const TERM_SEPARATOR: char = '\u{1f}';
const _: () = assert!(TERM_SEPARATOR.is_ascii());

const MANIFEST: &str = "manifest.json";
const KEY_FIELD: &str = "key";
const BUILD_MEMORY: usize = 128 << 20;
/// Memory of the writer a side keeps for single-document writes between refreshes (tantivy's least is
/// 15 MB): more would only hold more of the process's memory for a few documents at a time.
const UPDATE_MEMORY: usize = 16 << 20;

/// Which side of the matching a document belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    Team,
    Demand,
}

impl DocKind {
    /// The text fields of this kind with their default boosts.
    pub fn fields(self) -> &'static [(&'static str, f32)] {
        match self {
            DocKind::Team => &[
                ("name", 1.0),
                ("fields", 1.5),
                ("keywords", 1.5),
                ("description", 1.0),
                ("achievements", 0.8),
            ],
            DocKind::Demand => &[("title", 1.5), ("keywords", 1.5), ("description", 1.0)],
        }
    }

    /// Plural name, as used in directories and on the command line.
    pub fn plural(self) -> &'static str {
        match self {
            DocKind::Team => "teams",
            DocKind::Demand => "demands",
        }
    }
}

impl std::str::FromStr for DocKind {
    type Err = IndexError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "team" | "teams" => Ok(DocKind::Team),
            "demand" | "demands" => Ok(DocKind::Demand),
            other => Err(IndexError::UnknownKind(other.to_owned())),
        }
    }
}

/// Errors of the text index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("text index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("index directory {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("unknown document kind {0:?} (expected teams or demands)")]
    UnknownKind(String),
    #[error("unknown field {field:?} for {kind}")]
    UnknownField { kind: &'static str, field: String },
    #[error("index lock poisoned")]
    Poisoned,
}

impl IndexError {
    /// Stable snake_case code of the error.
    pub fn code(&self) -> ErrorCode {
        match self {
            IndexError::Tantivy(_) => ErrorCode::IndexEngine,
            IndexError::Io { .. } => ErrorCode::IndexIo,
            IndexError::UnknownKind(_) => ErrorCode::UnknownKind,
            IndexError::UnknownField { .. } => ErrorCode::UnknownField,
            IndexError::Poisoned => ErrorCode::IndexPoisoned,
        }
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> IndexError + '_ {
    move |source| IndexError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Stable 64-bit key of a document id (FNV-1a), stored in the index and used for deletes.
pub fn doc_key(id: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in id.as_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// One analysed text value of a document field (a field may hold several values).
#[derive(Debug, Clone)]
pub struct FieldTokens<'a> {
    pub field: &'static str,
    pub tokens: &'a [Token],
}

/// A document to index: its id and its analysed field values.
#[derive(Debug, Clone)]
pub struct IndexDoc<'a> {
    pub id: &'a str,
    pub fields: Vec<FieldTokens<'a>>,
}

/// What the directory held when the index was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenOutcome {
    /// The manifest matched: the index was reopened as it was.
    Reopened,
    /// The index was missing or stale and has been rebuilt.
    Built,
}

/// The manifest written beside the indexes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub schema_version: u32,
    pub analyzer_version: String,
    pub dataset_fingerprint: String,
    pub teams: usize,
    pub demands: usize,
}
