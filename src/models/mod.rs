//! The statistical models of the engine, and the only modules that use linfa and ndarray: TF-IDF, LSA by
//! randomized truncated SVD, KMeans clusters with labels, and their versioned artifact on disk.
//!
//! Everything here works on plain data: documents are lists of `(term id, count)` over a term table given by
//! the caller, and vectors are `Vec<f32>`; no other module needs to know about ndarray.
//!
//! The artifact (`engine.model`, see [`Models::save`]) is one binary file: the magic `SGMODEL\0`, the format
//! version (u32, little endian), a JSON header (metadata, vocabulary, idf, singular values, cluster labels)
//! and the LSA components and centroids as little-endian f32, then the SHA-256 of everything before it. A
//! model of another format version, or one whose checksum does not match (a damaged file), is refused, and
//! the engine trains again.

pub mod cluster;
pub mod lsa;
pub mod smooth;
pub mod tfidf;

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error_code::ErrorCode;

pub use cluster::{Centroids, ClusterParams, silhouette};
pub use lsa::{Lsa, LsaParams, normalise};
pub use smooth::{SmoothParams, smooth, smooth_levels, smooth_one};
pub use tfidf::{Tfidf, TfidfParams};

/// Smoothing levels of vectors: `levels[pass][document]` (see [`smooth_levels`]).
pub type Levels = Vec<Vec<Vec<f32>>>;

/// Version of the artifact format; bumped on any change of layout or meaning.
pub const FORMAT_VERSION: u32 = 3;

/// Length of the SHA-256 digest that ends every model file.
const DIGEST_LEN: usize = 32;

/// File name of the artifact inside a models directory.
pub const MODEL_FILE: &str = "engine.model";

const MAGIC: &[u8; 8] = b"SGMODEL\0";

/// Errors of fitting, saving and loading models.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("model file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("model format: {0}")]
    Format(String),
    #[error("model format version {found} is not supported (this build reads version {expected})")]
    Version { found: u32, expected: u32 },
    #[error("cannot fit model: {0}")]
    Fit(String),
}

impl ModelError {
    /// Stable snake_case code of the error.
    pub fn code(&self) -> ErrorCode {
        match self {
            ModelError::Io { .. } => ErrorCode::ModelIo,
            ModelError::Format(_) => ErrorCode::ModelFormat,
            ModelError::Version { .. } => ErrorCode::ModelVersion,
            ModelError::Fit(_) => ErrorCode::ModelFit,
        }
    }
}

/// All training parameters.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct TrainParams {
    pub tfidf: TfidfParams,
    pub lsa: LsaParams,
    /// kNN smoothing of the team vectors, before clustering and for matching.
    pub smooth: SmoothParams,
    pub clusters: ClusterParams,
}

/// What a model was trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelMeta {
    pub format_version: u32,
    pub analyzer_version: String,
    pub dataset_fingerprint: String,
    pub documents: usize,
    pub clustered: usize,
    pub params: TrainParams,
}

/// Label of one cluster: its most characteristic terms and the nearest track.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterLabel {
    pub top_terms: Vec<String>,
    pub track_id: Option<String>,
    pub track_similarity: f32,
    pub size: usize,
}

impl ClusterLabel {
    /// A short human label: the nearest track (when close enough) and the top terms.
    pub fn text(&self) -> String {
        let terms = self
            .top_terms
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("、");
        match &self.track_id {
            Some(track) if self.track_similarity >= 0.3 => format!("{track}: {terms}"),
            _ => terms,
        }
    }
}

/// Clusters of teams with their labels.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterModel {
    pub centroids: Centroids,
    pub labels: Vec<ClusterLabel>,
}

/// The trained models.
#[derive(Debug, Clone, PartialEq)]
pub struct Models {
    pub meta: ModelMeta,
    pub tfidf: Tfidf,
    pub lsa: Lsa,
    pub clusters: Option<ClusterModel>,
}

/// What to train on: documents over a term table, which of them are clustered, and the tracks.
#[derive(Debug, Clone)]
pub struct TrainInput<'a> {
    /// Term text by term id.
    pub terms: &'a [String],
    /// Every document used to fit TF-IDF and LSA, as `(term id, count)`.
    pub docs: Vec<&'a [(u32, f32)]>,
    /// Indices (into `docs`) of the documents to cluster.
    pub clustered: Vec<usize>,
    /// Tracks as `(track id, (term id, count))`, for cluster labels.
    pub tracks: Vec<(String, Vec<(u32, f32)>)>,
    pub analyzer_version: String,
    pub dataset_fingerprint: String,
}

/// Figures of a training run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainReport {
    pub documents: usize,
    pub vocabulary: usize,
    pub dims: usize,
    pub k: usize,
    pub silhouette: f32,
    pub cluster_sizes: Vec<usize>,
    pub seconds_tfidf: f32,
    pub seconds_lsa: f32,
    pub seconds_clusters: f32,
}

#[derive(Serialize, Deserialize)]
struct Header {
    meta: ModelMeta,
    vocabulary: Vec<String>,
    idf: Vec<f32>,
    singular_values: Vec<f32>,
    n_terms: usize,
    clusters: Option<HeaderClusters>,
}

#[derive(Serialize, Deserialize)]
struct HeaderClusters {
    k: usize,
    dims: usize,
    labels: Vec<ClusterLabel>,
}

impl Models {
    /// Fits TF-IDF and LSA on all documents, then clusters the chosen ones (when there are enough).
    pub fn train(
        input: &TrainInput<'_>,
        params: &TrainParams,
    ) -> Result<(Models, TrainReport), ModelError> {
        Self::train_projected(input, params).map(|(m, r, _)| (m, r))
    }

    /// [`Models::train`], also returning the smoothing levels ([`smooth_levels`]) of the clustered
    /// documents' latent vectors (in the order of `input.clustered`; level 0 as [`Models::embed_columns`]
    /// computes them, the last one smoothed).
    pub fn train_projected(
        input: &TrainInput<'_>,
        params: &TrainParams,
    ) -> Result<(Models, TrainReport, Levels), ModelError> {
        let t0 = std::time::Instant::now();
        let tfidf = Tfidf::fit(input.terms, &input.docs, &params.tfidf);
        if tfidf.is_empty() {
            return Err(ModelError::Fit(
                "no term occurs in two documents; the vocabulary is empty".into(),
            ));
        }
        let columns = column_map(input.terms, &tfidf);
        let rows: Vec<Vec<(u32, f32)>> = {
            use rayon::prelude::*;
            input
                .docs
                .par_iter()
                .map(|doc| weigh_mapped(&tfidf, &columns, doc))
                .collect()
        };
        let seconds_tfidf = t0.elapsed().as_secs_f32();
        let t1 = std::time::Instant::now();
        let refs: Vec<&[(u32, f32)]> = rows.iter().map(|r| r.as_slice()).collect();
        let lsa = Lsa::fit(&refs, tfidf.len(), &params.lsa)?;
        let seconds_lsa = t1.elapsed().as_secs_f32();
        let t2 = std::time::Instant::now();
        let vectors: Vec<Vec<f32>> = {
            use rayon::prelude::*;
            input
                .clustered
                .par_iter()
                .filter_map(|&i| rows.get(i))
                .map(|r| lsa.project(r))
                .collect()
        };
        // The weighted rows are the largest thing training holds; smoothing and clustering reuse their memory.
        drop(refs);
        drop(rows);
        let levels = smooth_levels(&vectors, &params.smooth);
        drop(vectors);
        let vectors = levels.last().map_or(&[][..], Vec::as_slice);
        let live: Vec<&[f32]> = vectors
            .iter()
            .map(|v| v.as_slice())
            .filter(|v| v.iter().any(|x| *x != 0.0))
            .collect();
        let mut report = TrainReport {
            documents: input.docs.len(),
            vocabulary: tfidf.len(),
            dims: lsa.dims(),
            k: 0,
            silhouette: 0.0,
            cluster_sizes: Vec::new(),
            seconds_tfidf,
            seconds_lsa,
            seconds_clusters: 0.0,
        };
        let enough = params
            .clusters
            .k
            .map_or(live.len() >= 20, |k| live.len() >= k.max(2));
        let clusters = if enough {
            let centroids = Centroids::fit(&live, &params.clusters)?;
            let assignment: Vec<usize> = live.par_iter().map(|v| centroids.assign(v).0).collect();
            let mut sizes = vec![0usize; centroids.k()];
            assignment.iter().for_each(|&c| sizes[c] += 1);
            let reduced: Vec<Vec<f32>> = live
                .par_iter()
                .map(|v| {
                    let mut r: Vec<f32> = v.iter().take(centroids.dims()).copied().collect();
                    normalise(&mut r);
                    r
                })
                .collect();
            let reduced_refs: Vec<&[f32]> = reduced.iter().map(|v| v.as_slice()).collect();
            report.silhouette = silhouette(&reduced_refs, &assignment);
            report.k = centroids.k();
            report.cluster_sizes = sizes.clone();
            let tracks: Vec<(String, Vec<f32>)> = input
                .tracks
                .iter()
                .map(|(id, counts)| {
                    (
                        id.clone(),
                        lsa.project(&weigh_mapped(&tfidf, &columns, counts)),
                    )
                })
                .collect();
            let labels = label_clusters(&centroids, &sizes, &lsa, &tfidf, &tracks);
            Some(ClusterModel { centroids, labels })
        } else {
            None
        };
        report.seconds_clusters = t2.elapsed().as_secs_f32();
        let meta = ModelMeta {
            format_version: FORMAT_VERSION,
            analyzer_version: input.analyzer_version.clone(),
            dataset_fingerprint: input.dataset_fingerprint.clone(),
            documents: input.docs.len(),
            clustered: live.len(),
            params: *params,
        };
        Ok((
            Models {
                meta,
                tfidf,
                lsa,
                clusters,
            },
            report,
            levels,
        ))
    }

    /// Labels for any centroids in this model's latent space: top terms and nearest of the given tracks.
    pub fn label_centroids(
        &self,
        centroids: &Centroids,
        sizes: &[usize],
        tracks: &[(String, Vec<f32>)],
    ) -> Vec<ClusterLabel> {
        label_clusters(centroids, sizes, &self.lsa, &self.tfidf, tracks)
    }

    /// Unit latent vector of a document given as `(term text, count)` pairs.
    pub fn embed<'a>(&self, counts: impl IntoIterator<Item = (&'a str, f32)>) -> Vec<f32> {
        let row = self.tfidf.weigh(
            counts
                .into_iter()
                .filter_map(|(t, n)| Some((self.tfidf.column(t)?, n))),
        );
        self.lsa.project(&row)
    }

    /// Unit latent vector of a document given as `(model column, count)` pairs.
    pub fn embed_columns(&self, counts: impl IntoIterator<Item = (u32, f32)>) -> Vec<f32> {
        self.lsa.project(&self.tfidf.weigh(counts))
    }

    /// Writes the artifact to `dir/engine.model` (through a temporary file) and a readable `model.json`.
    pub fn save(&self, dir: &Path) -> Result<PathBuf, ModelError> {
        fs::create_dir_all(dir).map_err(|source| ModelError::Io {
            path: dir.to_owned(),
            source,
        })?;
        let path = dir.join(MODEL_FILE);
        let header = Header {
            meta: self.meta.clone(),
            vocabulary: self.tfidf.terms().to_vec(),
            idf: self.tfidf.idf().to_vec(),
            singular_values: self.lsa.singular_values().to_vec(),
            n_terms: self.lsa.n_terms(),
            clusters: self.clusters.as_ref().map(|c| HeaderClusters {
                k: c.centroids.k(),
                dims: c.centroids.dims(),
                labels: c.labels.clone(),
            }),
        };
        let header_json =
            serde_json::to_vec(&header).map_err(|e| ModelError::Format(e.to_string()))?;
        let mut bytes =
            Vec::with_capacity(header_json.len() + self.lsa.components().len() * 4 + 64);
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&(header_json.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&header_json);
        write_f32s(&mut bytes, self.lsa.components());
        write_f32s(
            &mut bytes,
            self.clusters
                .as_ref()
                .map_or(&[][..], |c| c.centroids.values()),
        );
        let digest = Sha256::digest(&bytes);
        bytes.extend_from_slice(&digest);
        let tmp = dir.join(format!("{MODEL_FILE}.tmp"));
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| ModelError::Io { path, source }
        };
        let mut file = fs::File::create(&tmp).map_err(io(&tmp))?;
        file.write_all(&bytes).map_err(io(&tmp))?;
        file.sync_all().map_err(io(&tmp))?;
        fs::rename(&tmp, &path).map_err(io(&path))?;
        let readable = serde_json::json!({
            "meta": self.meta,
            "vocabulary": self.tfidf.len(),
            "dims": self.lsa.dims(),
            "clusters": self.clusters.as_ref().map(|c| &c.labels),
        });
        let json_path = dir.join("model.json");
        fs::write(
            &json_path,
            serde_json::to_string_pretty(&readable).unwrap_or_default(),
        )
        .map_err(io(&json_path))?;
        Ok(path)
    }

    /// Reads the artifact in `dir`; `Ok(None)` when there is none.
    pub fn load(dir: &Path) -> Result<Option<Models>, ModelError> {
        let path = dir.join(MODEL_FILE);
        let mut file = match fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(ModelError::Io { path, source }),
        };
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|source| ModelError::Io {
                path: path.clone(),
                source,
            })?;
        Self::from_bytes(&bytes).map(Some)
    }

    /// Decodes an artifact, after checking its trailing SHA-256 over everything before it: a damaged
    /// file is a format error (and the engine trains again), never a silently different model.
    pub fn from_bytes(bytes: &[u8]) -> Result<Models, ModelError> {
        let body_len = bytes
            .len()
            .checked_sub(DIGEST_LEN)
            .ok_or_else(|| ModelError::Format("file is truncated".into()))?;
        let (body, digest) = bytes.split_at(body_len);
        if body.len() >= MAGIC.len() && &body[..MAGIC.len()] != MAGIC {
            return Err(ModelError::Format("not a shuanggao model file".into()));
        }
        if body.len() >= 12 {
            let version = u32::from_le_bytes(body[8..12].try_into().expect("4 bytes"));
            if version != FORMAT_VERSION {
                return Err(ModelError::Version {
                    found: version,
                    expected: FORMAT_VERSION,
                });
            }
        }
        if Sha256::digest(body).as_slice() != digest {
            return Err(ModelError::Format(
                "checksum mismatch: the file is damaged".into(),
            ));
        }
        let bytes = body;
        let mut at = 0usize;
        let mut take = |n: usize| -> Result<&[u8], ModelError> {
            let end = at
                .checked_add(n)
                .filter(|&e| e <= bytes.len())
                .ok_or_else(|| ModelError::Format("file is truncated".into()))?;
            let out = &bytes[at..end];
            at = end;
            Ok(out)
        };
        if take(8)? != MAGIC {
            return Err(ModelError::Format("not a shuanggao model file".into()));
        }
        let version = u32::from_le_bytes(
            take(4)?
                .try_into()
                .map_err(|_| ModelError::Format("bad version".into()))?,
        );
        if version != FORMAT_VERSION {
            return Err(ModelError::Version {
                found: version,
                expected: FORMAT_VERSION,
            });
        }
        let header_len = read_u64(&mut take)? as usize;
        let header: Header = serde_json::from_slice(take(header_len)?)
            .map_err(|e| ModelError::Format(format!("header: {e}")))?;
        let components = read_f32s(&mut take)?;
        let centroid_values = read_f32s(&mut take)?;
        if header.vocabulary.len() != header.idf.len() || header.n_terms != header.vocabulary.len()
        {
            return Err(ModelError::Format(
                "vocabulary, idf and components disagree in size".into(),
            ));
        }
        let tfidf = Tfidf::from_parts(header.vocabulary, header.idf);
        let lsa = Lsa::from_parts(components, header.singular_values, header.n_terms)?;
        let clusters = match header.clusters {
            Some(c) => Some(ClusterModel {
                centroids: Centroids::from_parts(centroid_values, c.k, c.dims)?,
                labels: c.labels,
            }),
            None => None,
        };
        Ok(Models {
            meta: header.meta,
            tfidf,
            lsa,
            clusters,
        })
    }
}

fn write_f32s(out: &mut Vec<u8>, values: &[f32]) {
    out.extend_from_slice(&(values.len() as u64).to_le_bytes());
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
}

fn read_u64<'b>(
    take: &mut impl FnMut(usize) -> Result<&'b [u8], ModelError>,
) -> Result<u64, ModelError> {
    let b = take(8)?;
    Ok(u64::from_le_bytes(
        b.try_into()
            .map_err(|_| ModelError::Format("bad length".into()))?,
    ))
}

fn read_f32s<'b>(
    take: &mut impl FnMut(usize) -> Result<&'b [u8], ModelError>,
) -> Result<Vec<f32>, ModelError> {
    let n = read_u64(take)? as usize;
    let bytes = take(
        n.checked_mul(4)
            .ok_or_else(|| ModelError::Format("bad length".into()))?,
    )?;
    Ok(bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

/// For each term id of the caller's table, its model column (or `u32::MAX`).
pub fn column_map(terms: &[String], tfidf: &Tfidf) -> Vec<u32> {
    terms
        .iter()
        .map(|t| tfidf.column(t).unwrap_or(u32::MAX))
        .collect()
}

fn weigh_mapped(tfidf: &Tfidf, columns: &[u32], counts: &[(u32, f32)]) -> Vec<(u32, f32)> {
    tfidf.weigh(counts.iter().filter_map(|&(t, n)| {
        columns
            .get(t as usize)
            .filter(|&&c| c != u32::MAX)
            .map(|&c| (c, n))
    }))
}

fn label_clusters(
    centroids: &Centroids,
    sizes: &[usize],
    lsa: &Lsa,
    tfidf: &Tfidf,
    tracks: &[(String, Vec<f32>)],
) -> Vec<ClusterLabel> {
    let dims = centroids.dims();
    (0..centroids.k())
        .map(|c| {
            let centroid = centroids.centroid(c);
            let mut scored: Vec<(f32, u32)> = (0..lsa.n_terms() as u32)
                .filter_map(|t| {
                    let v = lsa.term_vector(t)?;
                    let s: f32 = v.iter().take(dims).zip(centroid).map(|(a, b)| a * b).sum();
                    Some((s, t))
                })
                .collect();
            let n_top = 8.min(scored.len());
            if n_top > 0 {
                scored.select_nth_unstable_by(n_top - 1, |a, b| {
                    b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal)
                });
            }
            let mut top: Vec<(f32, u32)> = scored.into_iter().take(n_top).collect();
            top.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
            let top_terms = top
                .iter()
                .map(|&(_, t)| tfidf.terms()[t as usize].clone())
                .collect();
            let nearest = tracks
                .iter()
                .map(|(id, v)| {
                    let mut r: Vec<f32> = v.iter().take(dims).copied().collect();
                    normalise(&mut r);
                    (id, r.iter().zip(centroid).map(|(a, b)| a * b).sum::<f32>())
                })
                .max_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal));
            ClusterLabel {
                top_terms,
                track_id: nearest.map(|(id, _)| id.clone()),
                track_similarity: nearest.map_or(0.0, |(_, s)| s),
                size: sizes.get(c).copied().unwrap_or(0),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small corpus of two topics over a term table.
    pub(crate) fn corpus() -> (Vec<String>, Vec<Vec<(u32, f32)>>) {
        let terms: Vec<String> = [
            "电池",
            "热失控",
            "储能",
            "预警",
            "视觉",
            "缺陷",
            "检测",
            "相机",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut docs = Vec::new();
        for i in 0..30u32 {
            let doc = if i % 2 == 0 {
                vec![
                    (0, 1.0 + (i % 3) as f32),
                    (1, 1.0),
                    (2, (i % 2) as f32 + 1.0),
                    (3, 1.0 + (i % 5 == 0) as u32 as f32),
                ]
            } else {
                vec![
                    (4, 1.0 + (i % 3) as f32),
                    (5, 1.0),
                    (6, 1.0),
                    (7, (i % 4) as f32),
                ]
            };
            docs.push(doc);
        }
        (terms, docs)
    }

    fn train_small() -> Models {
        let (terms, docs) = corpus();
        let input = TrainInput {
            terms: &terms,
            docs: docs.iter().map(|d| d.as_slice()).collect(),
            clustered: (0..docs.len()).collect(),
            tracks: vec![
                ("t-storage".into(), vec![(0, 1.0), (2, 1.0)]),
                ("t-vision".into(), vec![(4, 1.0), (7, 1.0)]),
            ],
            analyzer_version: "test".into(),
            dataset_fingerprint: "fp".into(),
        };
        let params = TrainParams {
            tfidf: TfidfParams {
                min_df: 2,
                max_df_ratio: 1.0,
                max_features: 100,
            },
            lsa: LsaParams {
                dims: 4,
                oversample: 2,
                power_iterations: 2,
                max_fit_docs: 100,
                seed: 1,
            },
            smooth: SmoothParams {
                neighbours: 0,
                ..SmoothParams::default()
            },
            clusters: ClusterParams {
                k: Some(2),
                dims: None,
                max_fit_points: 100,
                seed: 1,
            },
        };
        Models::train(&input, &params).expect("train").0
    }

    #[test]
    fn trains_clusters_and_labels_two_topics() {
        let models = train_small();
        let clusters = models.clusters.as_ref().expect("clusters");
        assert_eq!(clusters.centroids.k(), 2);
        let storage = models.embed([("电池", 1.0), ("热失控", 1.0)]);
        let vision = models.embed([("视觉", 1.0), ("缺陷", 1.0)]);
        let (cs, _) = clusters.centroids.assign(&storage);
        let (cv, _) = clusters.centroids.assign(&vision);
        assert_ne!(cs, cv);
        assert_eq!(clusters.labels[cs].track_id.as_deref(), Some("t-storage"));
        assert_eq!(clusters.labels[cv].track_id.as_deref(), Some("t-vision"));
        assert!(
            clusters.labels[cv]
                .top_terms
                .iter()
                .take(4)
                .any(|t| t == "视觉" || t == "缺陷" || t == "检测" || t == "相机")
        );
    }

    #[test]
    fn save_and_load_round_trip_and_version_check() {
        let models = train_small();
        let dir = tempfile::tempdir().expect("tempdir");
        models.save(dir.path()).expect("save");
        let loaded = Models::load(dir.path()).expect("load").expect("present");
        assert_eq!(loaded, models);
        assert!(
            Models::load(&dir.path().join("missing"))
                .expect("no error")
                .is_none()
        );
        let mut bytes = fs::read(dir.path().join(MODEL_FILE)).expect("read");
        assert!(matches!(
            Models::from_bytes(&bytes[..bytes.len() - 3]),
            Err(ModelError::Format(_))
        ));
        // A damaged byte in the middle, size unchanged, is caught by the checksum.
        let mut damaged = bytes.clone();
        let mid = damaged.len() / 2;
        damaged[mid] ^= 0x5a;
        match Models::from_bytes(&damaged) {
            Err(ModelError::Format(m)) => assert!(m.contains("checksum"), "{m}"),
            other => panic!("{other:?}"),
        }
        bytes[8] = 99;
        assert!(matches!(
            Models::from_bytes(&bytes),
            Err(ModelError::Version { found: 99, .. })
        ));
    }
}
