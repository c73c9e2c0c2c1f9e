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

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, INDEXED, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{Token as TantivyToken, TokenStream, Tokenizer};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::analysis::{Analyzer, Token};
use crate::error_code::ErrorCode;

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
const UPDATE_MEMORY: usize = 32 << 20;

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

struct Side {
    kind: DocKind,
    index: Index,
    reader: IndexReader,
    writer: Mutex<Option<IndexWriter<TantivyDocument>>>,
    key: Field,
    fields: Vec<(Field, f32)>,
}

impl Side {
    fn schema(kind: DocKind) -> Schema {
        let mut builder = Schema::builder();
        builder.add_u64_field(
            KEY_FIELD,
            NumericOptions::default() | INDEXED | tantivy::schema::FAST,
        );
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(TERMS_TOKENIZER_NAME)
            .set_index_option(IndexRecordOption::WithFreqs);
        for (name, _) in kind.fields() {
            builder.add_text_field(
                name,
                TextOptions::default().set_indexing_options(indexing.clone()),
            );
        }
        builder.build()
    }

    fn open(kind: DocKind, index: Index, analyzer: &Analyzer) -> Result<Side, IndexError> {
        index
            .tokenizers()
            .register(TOKENIZER_NAME, SgTokenizer::new(analyzer.clone()));
        index
            .tokenizers()
            .register(TERMS_TOKENIZER_NAME, TermsTokenizer::default());
        let schema = index.schema();
        let key = schema.get_field(KEY_FIELD)?;
        let fields = kind
            .fields()
            .iter()
            .map(|(name, boost)| Ok((schema.get_field(name)?, *boost)))
            .collect::<Result<Vec<_>, IndexError>>()?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Side {
            kind,
            index,
            reader,
            writer: Mutex::new(None),
            key,
            fields,
        })
    }

    fn field(&self, name: &str) -> Result<Field, IndexError> {
        let at = self.kind.fields().iter().position(|(n, _)| *n == name);
        at.map(|i| self.fields[i].0)
            .ok_or_else(|| IndexError::UnknownField {
                kind: self.kind.plural(),
                field: name.to_owned(),
            })
    }

    fn document(&self, doc: &IndexDoc<'_>) -> Result<TantivyDocument, IndexError> {
        let fields = doc
            .fields
            .iter()
            .map(|value| {
                (
                    value.field,
                    join_terms(value.tokens.iter().map(|t| t.text.as_str())),
                )
            })
            .collect();
        self.joined_document(doc.id, fields)
    }

    fn joined_document(
        &self,
        id: &str,
        fields: Vec<(&'static str, String)>,
    ) -> Result<TantivyDocument, IndexError> {
        let mut out = TantivyDocument::default();
        out.add_u64(self.key, doc_key(id));
        for (name, joined) in fields {
            out.add_text(self.field(name)?, joined);
        }
        Ok(out)
    }

    fn writer(&self) -> Result<MutexGuard<'_, Option<IndexWriter<TantivyDocument>>>, IndexError> {
        let mut guard = self.writer.lock().map_err(|_| IndexError::Poisoned)?;
        if guard.is_none() {
            *guard = Some(self.index.writer_with_num_threads(1, UPDATE_MEMORY)?);
        }
        Ok(guard)
    }

    fn upsert(&self, doc: &IndexDoc<'_>) -> Result<(), IndexError> {
        let document = self.document(doc)?;
        let mut guard = self.writer()?;
        if let Some(writer) = guard.as_mut() {
            writer.delete_term(Term::from_field_u64(self.key, doc_key(doc.id)));
            writer.add_document(document)?;
            writer.commit()?;
        }
        drop(guard);
        self.reader.reload()?;
        Ok(())
    }

    fn delete(&self, id: &str) -> Result<(), IndexError> {
        let mut guard = self.writer()?;
        if let Some(writer) = guard.as_mut() {
            writer.delete_term(Term::from_field_u64(self.key, doc_key(id)));
            writer.commit()?;
        }
        drop(guard);
        self.reader.reload()?;
        Ok(())
    }

    fn query(&self, terms: &[(String, f32)]) -> BooleanQuery {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            Vec::with_capacity(terms.len() * self.fields.len());
        for (term, weight) in terms {
            if *weight <= 0.0 || term.is_empty() {
                continue;
            }
            for (field, boost) in &self.fields {
                let query = TermQuery::new(
                    Term::from_field_text(*field, term),
                    IndexRecordOption::WithFreqs,
                );
                clauses.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(query), weight * boost)),
                ));
            }
        }
        BooleanQuery::new(clauses)
    }

    fn retrieve(
        &self,
        terms: &[(String, f32)],
        limit: usize,
    ) -> Result<Vec<(u64, f32)>, IndexError> {
        if limit == 0 || terms.is_empty() {
            return Ok(Vec::new());
        }
        let query = self.query(terms);
        let searcher = self.reader.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
        let mut columns = Vec::new();
        for segment in searcher.segment_readers() {
            columns.push(segment.fast_fields().u64(KEY_FIELD)?);
        }
        Ok(top
            .into_iter()
            .filter_map(|(score, addr)| {
                let key = columns.get(addr.segment_ord as usize)?.first(addr.doc_id)?;
                Some((key, score))
            })
            .collect())
    }

    fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }
}

/// The text index of both sides.
pub struct TextIndex {
    dir: PathBuf,
    teams: Side,
    demands: Side,
    manifest: Mutex<Manifest>,
}

impl std::fmt::Debug for TextIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextIndex")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl TextIndex {
    /// Reopens the index under `dir` if its manifest matches `fingerprint` and the current analyzer and schema
    /// versions; otherwise rebuilds it from `docs()` (called only then), which yields `(kind, doc)` pairs.
    /// `progress(done)` is called as documents are added.
    pub fn open_or_build<'d, I>(
        dir: &Path,
        analyzer: &Analyzer,
        fingerprint: &str,
        docs: impl FnOnce() -> I,
        progress: &mut dyn FnMut(usize),
    ) -> Result<(TextIndex, OpenOutcome), IndexError>
    where
        I: Iterator<Item = (DocKind, IndexDoc<'d>)>,
    {
        if let Some(index) = Self::open(dir, analyzer, fingerprint)? {
            return Ok((index, OpenOutcome::Reopened));
        }
        let index = Self::build(dir, analyzer, fingerprint, docs(), progress)?;
        Ok((index, OpenOutcome::Built))
    }

    /// Reads the manifest under `dir`, if there is a readable one.
    pub fn read_manifest(dir: &Path) -> Option<Manifest> {
        let text = fs::read_to_string(dir.join(MANIFEST)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Opens the index under `dir` when its manifest matches `fingerprint` and the current analyzer and
    /// schema versions; `Ok(None)` when it is missing or stale.
    pub fn open(
        dir: &Path,
        analyzer: &Analyzer,
        fingerprint: &str,
    ) -> Result<Option<TextIndex>, IndexError> {
        let Some(manifest) = Self::read_manifest(dir) else {
            return Ok(None);
        };
        if manifest.schema_version != SCHEMA_VERSION
            || manifest.analyzer_version != analyzer.version()
            || manifest.dataset_fingerprint != fingerprint
        {
            return Ok(None);
        }
        let open = |kind: DocKind| -> Result<Option<Side>, IndexError> {
            match Index::open_in_dir(dir.join(kind.plural())) {
                Ok(index) if index.schema() == Side::schema(kind) => {
                    Ok(Some(Side::open(kind, index, analyzer)?))
                }
                _ => Ok(None),
            }
        };
        let (Some(teams), Some(demands)) = (open(DocKind::Team)?, open(DocKind::Demand)?) else {
            return Ok(None);
        };
        if teams.num_docs() != manifest.teams as u64
            || demands.num_docs() != manifest.demands as u64
        {
            return Ok(None);
        }
        Ok(Some(TextIndex {
            dir: dir.to_owned(),
            teams,
            demands,
            manifest: Mutex::new(manifest),
        }))
    }

    /// Builds a fresh index under `dir` (whatever was there is replaced).
    pub fn build<'d>(
        dir: &Path,
        analyzer: &Analyzer,
        fingerprint: &str,
        docs: impl Iterator<Item = (DocKind, IndexDoc<'d>)>,
        progress: &mut dyn FnMut(usize),
    ) -> Result<TextIndex, IndexError> {
        let mut builder = IndexBuilder::create(dir, analyzer)?;
        for (kind, doc) in docs {
            builder.add(kind, &doc)?;
            progress(builder.added());
        }
        builder.finish(fingerprint)
    }

    fn side(&self, kind: DocKind) -> &Side {
        match kind {
            DocKind::Team => &self.teams,
            DocKind::Demand => &self.demands,
        }
    }

    fn write_manifest(&self) -> Result<(), IndexError> {
        let manifest = self
            .manifest
            .lock()
            .map_err(|_| IndexError::Poisoned)?
            .clone();
        let text = serde_json::to_string_pretty(&manifest).unwrap_or_default();
        let tmp = self.dir.join("manifest.json.tmp");
        fs::write(&tmp, text).map_err(io_err(&tmp))?;
        let path = self.dir.join(MANIFEST);
        fs::rename(&tmp, &path).map_err(io_err(&path))
    }

    /// The current manifest.
    pub fn manifest(&self) -> Manifest {
        self.manifest
            .lock()
            .map(|m| m.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Adds a document or replaces the one with the same id; searchable when this returns. `fingerprint`
    /// is the dataset fingerprint after the change, recorded in the manifest.
    pub fn upsert(
        &self,
        kind: DocKind,
        doc: &IndexDoc<'_>,
        fingerprint: &str,
    ) -> Result<(), IndexError> {
        let side = self.side(kind);
        side.upsert(doc)?;
        self.after_update(fingerprint)
    }

    /// Deletes the document with this id (nothing happens if there is none).
    pub fn delete(&self, kind: DocKind, id: &str, fingerprint: &str) -> Result<(), IndexError> {
        self.side(kind).delete(id)?;
        self.after_update(fingerprint)
    }

    fn after_update(&self, fingerprint: &str) -> Result<(), IndexError> {
        {
            let mut manifest = self.manifest.lock().map_err(|_| IndexError::Poisoned)?;
            manifest.dataset_fingerprint = fingerprint.to_owned();
            manifest.teams = self.teams.num_docs() as usize;
            manifest.demands = self.demands.num_docs() as usize;
        }
        self.write_manifest()
    }

    /// The `limit` best documents of `kind` for a weighted OR of `terms`, as `(key, bm25 score)`, best first.
    pub fn retrieve(
        &self,
        kind: DocKind,
        terms: &[(String, f32)],
        limit: usize,
    ) -> Result<Vec<(u64, f32)>, IndexError> {
        self.side(kind).retrieve(terms, limit)
    }

    /// Number of live documents of `kind`.
    pub fn num_docs(&self, kind: DocKind) -> u64 {
        self.side(kind).num_docs()
    }
}

/// Builds a fresh index under a directory, one document at a time (whatever was there is replaced).
pub struct IndexBuilder {
    dir: PathBuf,
    analyzer_version: String,
    teams: Side,
    demands: Side,
    team_writer: IndexWriter<TantivyDocument>,
    demand_writer: IndexWriter<TantivyDocument>,
    counts: [usize; 2],
}

impl std::fmt::Debug for IndexBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexBuilder")
            .field("dir", &self.dir)
            .field("counts", &self.counts)
            .finish()
    }
}

impl IndexBuilder {
    /// Empties `dir` of any previous index and starts a new one.
    pub fn create(dir: &Path, analyzer: &Analyzer) -> Result<IndexBuilder, IndexError> {
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        let manifest_path = dir.join(MANIFEST);
        if manifest_path.exists() {
            fs::remove_file(&manifest_path).map_err(io_err(&manifest_path))?;
        }
        let create = |kind: DocKind| -> Result<Side, IndexError> {
            let path = dir.join(kind.plural());
            if path.exists() {
                fs::remove_dir_all(&path).map_err(io_err(&path))?;
            }
            fs::create_dir_all(&path).map_err(io_err(&path))?;
            let index = Index::create_in_dir(&path, Side::schema(kind))?;
            Side::open(kind, index, analyzer)
        };
        let teams = create(DocKind::Team)?;
        let demands = create(DocKind::Demand)?;
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 4);
        let team_writer = teams.index.writer_with_num_threads(threads, BUILD_MEMORY)?;
        let demand_writer = demands
            .index
            .writer_with_num_threads(threads, BUILD_MEMORY / 2)?;
        Ok(IndexBuilder {
            dir: dir.to_owned(),
            analyzer_version: analyzer.version().to_owned(),
            teams,
            demands,
            team_writer,
            demand_writer,
            counts: [0, 0],
        })
    }

    /// Adds one document.
    pub fn add(&mut self, kind: DocKind, doc: &IndexDoc<'_>) -> Result<(), IndexError> {
        match kind {
            DocKind::Team => {
                self.team_writer.add_document(self.teams.document(doc)?)?;
                self.counts[0] += 1;
            }
            DocKind::Demand => {
                self.demand_writer
                    .add_document(self.demands.document(doc)?)?;
                self.counts[1] += 1;
            }
        }
        Ok(())
    }

    /// Adds one document given as `(field, terms)` per field value, the terms each followed by
    /// [`TERM_SEPARATOR`] (see [`join_terms`]).
    pub fn add_joined(
        &mut self,
        kind: DocKind,
        id: &str,
        fields: Vec<(&'static str, String)>,
    ) -> Result<(), IndexError> {
        match kind {
            DocKind::Team => {
                self.team_writer
                    .add_document(self.teams.joined_document(id, fields)?)?;
                self.counts[0] += 1;
            }
            DocKind::Demand => {
                self.demand_writer
                    .add_document(self.demands.joined_document(id, fields)?)?;
                self.counts[1] += 1;
            }
        }
        Ok(())
    }

    /// Commits the documents of `kind` added so far, which frees the memory their indexing held (the build
    /// of one side can finish before the other starts).
    pub fn commit(&mut self, kind: DocKind) -> Result<(), IndexError> {
        match kind {
            DocKind::Team => self.team_writer.commit()?,
            DocKind::Demand => self.demand_writer.commit()?,
        };
        Ok(())
    }

    /// Documents added so far.
    pub fn added(&self) -> usize {
        self.counts[0] + self.counts[1]
    }

    /// Commits, merges, writes the manifest (last, so that an interrupted build is never reopened).
    pub fn finish(mut self, fingerprint: &str) -> Result<TextIndex, IndexError> {
        self.team_writer.commit()?;
        self.demand_writer.commit()?;
        self.team_writer.wait_merging_threads()?;
        self.demand_writer.wait_merging_threads()?;
        self.teams.reader.reload()?;
        self.demands.reader.reload()?;
        let manifest = Manifest {
            schema_version: SCHEMA_VERSION,
            analyzer_version: self.analyzer_version,
            dataset_fingerprint: fingerprint.to_owned(),
            teams: self.counts[0],
            demands: self.counts[1],
        };
        let index = TextIndex {
            dir: self.dir,
            teams: self.teams,
            demands: self.demands,
            manifest: Mutex::new(manifest),
        };
        index.write_manifest()?;
        Ok(index)
    }
}

/// Terms as a field value of the index: each followed by [`TERM_SEPARATOR`].
pub fn join_terms<'a>(terms: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for t in terms {
        out.push_str(t);
        out.push(TERM_SEPARATOR);
    }
    out
}

/// Splits a field value made by [`join_terms`] back into its terms (registered under
/// [`TERMS_TOKENIZER_NAME`]).
#[derive(Clone, Default)]
pub struct TermsTokenizer {
    token: TantivyToken,
}

/// The token stream of [`TermsTokenizer`].
pub struct TermsTokenStream<'a> {
    rest: &'a str,
    offset: usize,
    token: &'a mut TantivyToken,
}

impl Tokenizer for TermsTokenizer {
    type TokenStream<'a> = TermsTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> TermsTokenStream<'a> {
        self.token.reset();
        self.token.position = usize::MAX;
        TermsTokenStream {
            rest: text,
            offset: 0,
            token: &mut self.token,
        }
    }
}

impl TokenStream for TermsTokenStream<'_> {
    fn advance(&mut self) -> bool {
        loop {
            if self.rest.is_empty() {
                return false;
            }
            // The separator is one ASCII byte and terms are short: a plain scan beats a substring search.
            let (term, rest, used) = match self.rest.bytes().position(|b| b == TERM_SEPARATOR as u8)
            {
                Some(at) => (&self.rest[..at], &self.rest[at + 1..], at + 1),
                None => (self.rest, "", self.rest.len()),
            };
            let start = self.offset;
            self.rest = rest;
            self.offset += used;
            if term.is_empty() {
                continue;
            }
            self.token.text.clear();
            self.token.text.push_str(term);
            self.token.offset_from = start;
            self.token.offset_to = start + term.len();
            self.token.position = self.token.position.wrapping_add(1);
            return true;
        }
    }

    fn token(&self) -> &TantivyToken {
        self.token
    }

    fn token_mut(&mut self) -> &mut TantivyToken {
        self.token
    }
}

/// The analyzer as a tantivy tokenizer (registered under [`TOKENIZER_NAME`]).
#[derive(Clone)]
pub struct SgTokenizer {
    analyzer: Analyzer,
    tokens: Vec<TantivyToken>,
}

impl SgTokenizer {
    pub fn new(analyzer: Analyzer) -> SgTokenizer {
        SgTokenizer {
            analyzer,
            tokens: Vec::new(),
        }
    }
}

/// The token stream of [`SgTokenizer`].
pub struct SgTokenStream<'a> {
    tokens: &'a mut Vec<TantivyToken>,
    next: usize,
}

impl Tokenizer for SgTokenizer {
    type TokenStream<'a> = SgTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> SgTokenStream<'a> {
        self.tokens.clear();
        let tokens = &mut self.tokens;
        self.analyzer.for_each_token(text, |term, start, end| {
            let position = tokens.len() + 1;
            tokens.push(TantivyToken {
                offset_from: start,
                offset_to: end,
                position,
                text: term.to_owned(),
                position_length: 1,
            });
        });
        SgTokenStream {
            tokens: &mut self.tokens,
            next: 0,
        }
    }
}

impl TokenStream for SgTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &TantivyToken {
        &self.tokens[self
            .next
            .saturating_sub(1)
            .min(self.tokens.len().saturating_sub(1))]
    }

    fn token_mut(&mut self) -> &mut TantivyToken {
        let at = self
            .next
            .saturating_sub(1)
            .min(self.tokens.len().saturating_sub(1));
        &mut self.tokens[at]
    }
}

/// A fragment of a text with the byte ranges (within `text`) of the matched terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Snippet {
    pub text: String,
    pub highlights: Vec<(usize, usize)>,
    /// The fragment with matched terms wrapped in `<mark>…</mark>` (the rest HTML-escaped).
    pub html: String,
}

/// The best fragment of at most `max_chars` characters of `text`, the one holding the most weight of the
/// matched `terms`, with those terms highlighted. Highlights of overlapping search-mode tokens are merged.
pub fn highlight(
    analyzer: &Analyzer,
    text: &str,
    terms: &HashSet<String>,
    max_chars: usize,
) -> Snippet {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    analyzer.for_each_token(text, |term, start, end| {
        if terms.contains(term) {
            spans.push((start, end));
        }
    });
    spans.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (s, e) in spans {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    // Character boundaries of the text, to cut fragments on characters.
    let bounds: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()))
        .collect();
    let n_chars = bounds.len() - 1;
    let (from, to) = if n_chars <= max_chars {
        (0, text.len())
    } else {
        // Slide a window of max_chars characters; keep the one covering the most highlighted bytes.
        let mut best = (0usize, 0usize);
        for (i, (s, _)) in merged.iter().enumerate() {
            let start_char = bounds
                .partition_point(|&b| b < *s)
                .saturating_sub(max_chars / 8);
            let window_end = bounds[(start_char + max_chars).min(n_chars)];
            let covered: usize = merged[i..]
                .iter()
                .take_while(|(_, e)| *e <= window_end)
                .map(|(s, e)| e - s)
                .sum();
            if covered > best.1 {
                best = (start_char, covered);
            }
        }
        let start_char = best.0.min(n_chars.saturating_sub(max_chars));
        (
            bounds[start_char],
            bounds[(start_char + max_chars).min(n_chars)],
        )
    };
    let fragment = &text[from..to];
    let highlights: Vec<(usize, usize)> = merged
        .iter()
        .filter(|(s, e)| *s >= from && *e <= to)
        .map(|(s, e)| (s - from, e - from))
        .collect();
    let mut html = String::with_capacity(fragment.len() + highlights.len() * 13);
    let mut at = 0;
    for (s, e) in &highlights {
        escape_into(&mut html, &fragment[at..*s]);
        html.push_str("<mark>");
        escape_into(&mut html, &fragment[*s..*e]);
        html.push_str("</mark>");
        at = *e;
    }
    escape_into(&mut html, &fragment[at..]);
    Snippet {
        text: fragment.to_owned(),
        highlights,
        html,
    }
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc_tokens(
        analyzer: &Analyzer,
        texts: &[(&'static str, &str)],
    ) -> Vec<(&'static str, Vec<Token>)> {
        texts
            .iter()
            .map(|(f, t)| (*f, analyzer.analyze(t)))
            .collect()
    }

    fn terms(analyzer: &Analyzer, text: &str) -> Vec<(String, f32)> {
        analyzer.terms(text).into_iter().map(|t| (t, 1.0)).collect()
    }

    #[test]
    fn build_query_update_delete_and_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let analyzer = Analyzer::shared();
        let t1 = doc_tokens(
            &analyzer,
            &[
                ("name", "储能安全团队"),
                ("description", "锂离子电池热失控预警与安全监测"),
            ],
        );
        let t2 = doc_tokens(
            &analyzer,
            &[("name", "视觉团队"), ("description", "工业视觉缺陷检测")],
        );
        let d1 = doc_tokens(&analyzer, &[("title", "动力电池热失控预警")]);
        fn as_doc<'a>(id: &'a str, toks: &'a [(&'static str, Vec<Token>)]) -> IndexDoc<'a> {
            IndexDoc {
                id,
                fields: toks
                    .iter()
                    .map(|(f, t)| FieldTokens {
                        field: f,
                        tokens: t,
                    })
                    .collect(),
            }
        }
        let docs = || {
            vec![
                (DocKind::Team, as_doc("team-1", &t1)),
                (DocKind::Team, as_doc("team-2", &t2)),
                (DocKind::Demand, as_doc("demand-1", &d1)),
            ]
            .into_iter()
        };
        let mut seen = 0;
        let (index, outcome) =
            TextIndex::open_or_build(dir.path(), &analyzer, "fp-1", docs, &mut |n| seen = n)
                .expect("build");
        assert_eq!(outcome, OpenOutcome::Built);
        assert_eq!(seen, 3);
        let hits = index
            .retrieve(DocKind::Team, &terms(&analyzer, "电池热失控"), 10)
            .expect("retrieve");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].0, doc_key("team-1"));

        // Update team-2 so that it matches too; it is searchable at once.
        let t2b = doc_tokens(
            &analyzer,
            &[
                ("name", "视觉团队"),
                ("achievements", "电池极片缺陷视觉检测"),
            ],
        );
        let doc = as_doc("team-2", &t2b);
        index.upsert(DocKind::Team, &doc, "fp-2").expect("upsert");
        let hits = index
            .retrieve(DocKind::Team, &terms(&analyzer, "电池"), 10)
            .expect("retrieve");
        assert_eq!(hits.len(), 2);
        assert_eq!(index.num_docs(DocKind::Team), 2);
        index
            .delete(DocKind::Team, "team-1", "fp-3")
            .expect("delete");
        let hits = index
            .retrieve(DocKind::Team, &terms(&analyzer, "电池"), 10)
            .expect("retrieve");
        assert_eq!(
            hits.iter().map(|h| h.0).collect::<Vec<_>>(),
            [doc_key("team-2")]
        );
        assert_eq!(index.manifest().dataset_fingerprint, "fp-3");
        assert_eq!(index.manifest().teams, 1);
        drop(index);

        // Same fingerprint: reopened without calling docs(); another fingerprint: rebuilt.
        let (index, outcome) = TextIndex::open_or_build(
            dir.path(),
            &analyzer,
            "fp-3",
            || -> std::vec::IntoIter<(DocKind, IndexDoc<'static>)> { panic!("must not rebuild") },
            &mut |_| {},
        )
        .expect("reopen");
        assert_eq!(outcome, OpenOutcome::Reopened);
        assert_eq!(index.num_docs(DocKind::Team), 1);
        drop(index);
        let (index, outcome) =
            TextIndex::open_or_build(dir.path(), &analyzer, "fp-other", docs, &mut |_| {})
                .expect("rebuild");
        assert_eq!(outcome, OpenOutcome::Built);
        assert_eq!(index.num_docs(DocKind::Team), 2);
        assert_eq!(index.num_docs(DocKind::Demand), 1);
    }

    #[test]
    fn field_boosts_and_term_weights_order_results() {
        let dir = tempfile::tempdir().expect("tempdir");
        let analyzer = Analyzer::shared();
        let a = doc_tokens(&analyzer, &[("keywords", "碳化硅")]);
        let b = doc_tokens(&analyzer, &[("description", "碳化硅")]);
        let docs = vec![
            (
                DocKind::Team,
                IndexDoc {
                    id: "a",
                    fields: a
                        .iter()
                        .map(|(f, t)| FieldTokens {
                            field: f,
                            tokens: t,
                        })
                        .collect(),
                },
            ),
            (
                DocKind::Team,
                IndexDoc {
                    id: "b",
                    fields: b
                        .iter()
                        .map(|(f, t)| FieldTokens {
                            field: f,
                            tokens: t,
                        })
                        .collect(),
                },
            ),
        ];
        let index = TextIndex::build(dir.path(), &analyzer, "fp", docs.into_iter(), &mut |_| {})
            .expect("build");
        let hits = index
            .retrieve(DocKind::Team, &[("碳化硅".to_owned(), 1.0)], 10)
            .expect("retrieve");
        assert_eq!(
            hits.iter().map(|h| h.0).collect::<Vec<_>>(),
            [doc_key("a"), doc_key("b")]
        );
        assert!(hits[0].1 > hits[1].1);
        let empty = index.retrieve(DocKind::Team, &[], 10).expect("retrieve");
        assert!(empty.is_empty());
    }

    #[test]
    fn tokenizer_matches_the_analyzer() {
        let analyzer = Analyzer::shared();
        let mut tokenizer = SgTokenizer::new(analyzer.clone());
        let text = "SiC功率器件 for batteries";
        let mut stream = tokenizer.token_stream(text);
        let mut got = Vec::new();
        while stream.advance() {
            got.push(stream.token().text.clone());
        }
        assert_eq!(got, analyzer.terms(text));

        // The index's own tokenizer gives back exactly the analyzer's terms from their joined form.
        let mut terms = TermsTokenizer::default();
        for text in [
            text,
            "动力电池热失控预警，锂离子电池安全状态在线监测。",
            "COVID-19疫情下的β-分泌酶研究，版本v2.0",
            "",
        ] {
            let want = analyzer.terms(text);
            let joined = join_terms(want.iter().map(String::as_str));
            let mut stream = terms.token_stream(&joined);
            let mut got = Vec::new();
            let mut positions = Vec::new();
            while stream.advance() {
                got.push(stream.token().text.clone());
                positions.push(stream.token().position);
            }
            assert_eq!(got, want);
            assert_eq!(positions, (0..want.len()).collect::<Vec<_>>());
        }
    }

    #[test]
    fn snippets_mark_matched_terms() {
        let analyzer = Analyzer::shared();
        let terms: HashSet<String> = ["热失控".to_owned(), "预警".to_owned()].into();
        let s = highlight(
            &analyzer,
            "针对储能电站，研究电池热失控早期预警方法。",
            &terms,
            100,
        );
        assert_eq!(
            s.html,
            "针对储能电站，研究电池<mark>热失控</mark>早期<mark>预警</mark>方法。"
        );
        let long = format!(
            "{}热失控预警{}",
            "无关内容。".repeat(40),
            "其他内容。".repeat(40)
        );
        let s = highlight(&analyzer, &long, &terms, 30);
        assert!(s.text.chars().count() <= 30);
        assert!(s.html.contains("<mark>热失控预警</mark>"), "{}", s.html);
        let s = highlight(&analyzer, "a < b & c", &HashSet::new(), 100);
        assert_eq!(s.html, "a &lt; b &amp; c");
    }
}
