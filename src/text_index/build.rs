//! The text index of both sides: opening or rebuilding it against the manifest, building it document by
//! document, updating and deleting single documents, and retrieval.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tantivy::{Index, IndexWriter, TantivyDocument};

use super::side::Side;
use super::{
    BUILD_MEMORY, DocKind, IndexDoc, IndexError, MANIFEST, Manifest, OpenOutcome, SCHEMA_VERSION,
    io_err,
};
use crate::analysis::Analyzer;

/// The text index of both sides.
pub struct TextIndex {
    dir: PathBuf,
    teams: Side,
    demands: Side,
    manifest: Mutex<Manifest>,
}

impl Drop for TextIndex {
    /// Commits what is pending, so that the next start reopens the index rather than rebuilding it.
    fn drop(&mut self) {
        if let Err(err) = self.refresh() {
            tracing::warn!(%err, "text index updates not committed; the next start rebuilds it");
        }
    }
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
                    // Every segment file carries a checksum: a damaged index is rebuilt, never used.
                    match index.validate_checksum() {
                        Ok(damaged) if damaged.is_empty() => {
                            Ok(Some(Side::open(kind, index, analyzer)?))
                        }
                        Ok(damaged) => {
                            tracing::warn!(
                                files = ?damaged,
                                "the text index is damaged; building it again"
                            );
                            Ok(None)
                        }
                        Err(err) => {
                            tracing::warn!(%err, "the text index is unreadable; building it again");
                            Ok(None)
                        }
                    }
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

    fn write_manifest(&self, manifest: &Manifest) -> Result<(), IndexError> {
        let text = serde_json::to_string_pretty(manifest).unwrap_or_default();
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

    /// Adds a document or replaces the one with the same id; searchable from the next [`TextIndex::refresh`]
    /// (which every search makes first). `fingerprint` is the dataset fingerprint after the change,
    /// recorded in the manifest at that commit.
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

    /// Notes the dataset an update brings the index to; the manifest on disk follows at the commit.
    fn after_update(&self, fingerprint: &str) -> Result<(), IndexError> {
        let mut manifest = self.manifest.lock().map_err(|_| IndexError::Poisoned)?;
        manifest.dataset_fingerprint = fingerprint.to_owned();
        Ok(())
    }

    /// Commits the updates since the last commit (a tantivy commit per update would cost every write
    /// a segment and its fsyncs) and writes the manifest; whether there were any. The manifest names the
    /// dataset of the updates made before the commit began, so after a crash it never claims more than
    /// the committed index holds: a lagging manifest only makes the next start rebuild the index.
    /// Searches call it first, so a search sees every update made before it.
    pub fn refresh(&self) -> Result<bool, IndexError> {
        if !self.teams.is_pending() && !self.demands.is_pending() {
            return Ok(false);
        }
        let fingerprint = self.manifest().dataset_fingerprint;
        let teams = self.teams.refresh()?;
        let demands = self.demands.refresh()?;
        if !(teams || demands) {
            return Ok(false);
        }
        let mut on_disk = {
            let mut manifest = self.manifest.lock().map_err(|_| IndexError::Poisoned)?;
            manifest.teams = self.teams.num_docs() as usize;
            manifest.demands = self.demands.num_docs() as usize;
            manifest.clone()
        };
        on_disk.dataset_fingerprint = fingerprint;
        self.write_manifest(&on_disk)?;
        Ok(true)
    }

    /// The `limit` best documents of `kind` for a weighted OR of `terms`, as `(key, bm25 score)`, best first.
    pub fn retrieve(
        &self,
        kind: DocKind,
        terms: &[(String, f32)],
        limit: usize,
    ) -> Result<Vec<(u64, f32)>, IndexError> {
        self.refresh()?;
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
        index.write_manifest(&index.manifest())?;
        Ok(index)
    }
}
