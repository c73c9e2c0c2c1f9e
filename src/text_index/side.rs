//! One side of the text index (teams or demands): its tantivy schema, reader, writer, and the weighted
//! OR query that retrieves its documents.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, INDEXED, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use super::tokenizer::{SgTokenizer, TermsTokenizer, join_terms};
use super::{
    DocKind, IndexDoc, IndexError, KEY_FIELD, TERMS_TOKENIZER_NAME, TOKENIZER_NAME, UPDATE_MEMORY,
    doc_key,
};
use crate::analysis::Analyzer;

pub(super) struct Side {
    pub(super) kind: DocKind,
    pub(super) index: Index,
    pub(super) reader: IndexReader,
    writer: Mutex<Option<IndexWriter<TantivyDocument>>>,
    /// Documents were added or deleted since the last commit.
    pending: AtomicBool,
    key: Field,
    fields: Vec<(Field, f32)>,
}

impl Side {
    pub(super) fn schema(kind: DocKind) -> Schema {
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

    pub(super) fn open(
        kind: DocKind,
        index: Index,
        analyzer: &Analyzer,
    ) -> Result<Side, IndexError> {
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
            pending: AtomicBool::new(false),
            key,
            fields,
        })
    }

    pub(super) fn field(&self, name: &str) -> Result<Field, IndexError> {
        let at = self.kind.fields().iter().position(|(n, _)| *n == name);
        at.map(|i| self.fields[i].0)
            .ok_or_else(|| IndexError::UnknownField {
                kind: self.kind.plural(),
                field: name.to_owned(),
            })
    }

    pub(super) fn document(&self, doc: &IndexDoc<'_>) -> Result<TantivyDocument, IndexError> {
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

    pub(super) fn joined_document(
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

    pub(super) fn writer(
        &self,
    ) -> Result<MutexGuard<'_, Option<IndexWriter<TantivyDocument>>>, IndexError> {
        let mut guard = self.writer.lock().map_err(|_| IndexError::Poisoned)?;
        if guard.is_none() {
            *guard = Some(self.index.writer_with_num_threads(1, UPDATE_MEMORY)?);
        }
        Ok(guard)
    }

    /// Replaces the document with this id; searchable after the next [`Side::refresh`].
    pub(super) fn upsert(&self, doc: &IndexDoc<'_>) -> Result<(), IndexError> {
        let document = self.document(doc)?;
        let mut guard = self.writer()?;
        if let Some(writer) = guard.as_mut() {
            writer.delete_term(Term::from_field_u64(self.key, doc_key(doc.id)));
            writer.add_document(document)?;
            self.pending.store(true, Ordering::SeqCst);
        }
        Ok(())
    }

    /// Deletes the document with this id; gone from searches after the next [`Side::refresh`].
    pub(super) fn delete(&self, id: &str) -> Result<(), IndexError> {
        let mut guard = self.writer()?;
        if let Some(writer) = guard.as_mut() {
            writer.delete_term(Term::from_field_u64(self.key, doc_key(id)));
            self.pending.store(true, Ordering::SeqCst);
        }
        Ok(())
    }

    /// Whether documents were added or deleted since the last commit.
    pub(super) fn is_pending(&self) -> bool {
        self.pending.load(Ordering::SeqCst)
    }

    /// Commits the additions and deletions since the last commit and reloads the reader; whether there
    /// were any.
    pub(super) fn refresh(&self) -> Result<bool, IndexError> {
        let mut guard = self.writer()?;
        if !self.pending.swap(false, Ordering::SeqCst) {
            return Ok(false);
        }
        if let Some(writer) = guard.as_mut()
            && let Err(err) = writer.commit()
        {
            self.pending.store(true, Ordering::SeqCst);
            return Err(err.into());
        }
        drop(guard);
        self.reader.reload()?;
        Ok(true)
    }

    pub(super) fn query(&self, terms: &[(String, f32)]) -> BooleanQuery {
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

    pub(super) fn retrieve(
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

    pub(super) fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }
}
