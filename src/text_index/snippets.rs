//! Snippets: fragments of a text with the matched terms marked, from the text itself or from its tokens
//! read once ([`tokens`], then [`highlight_tokens`] for each set of terms).

use std::collections::HashSet;
use std::hash::Hasher;

use serde::Serialize;

use crate::analysis::Analyzer;

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
    fragment(text, spans, max_chars)
}

/// A text's tokens as highlighting reads them: each term's [`term_hash`] and byte range.
pub type Tokens = Vec<(u64, u32, u32)>;

/// The hash a term is known by in [`Tokens`].
pub fn term_hash(term: &str) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    h.write(term.as_bytes());
    h.finish()
}

/// The tokens of `text`, to highlight it for several sets of terms without reading it again.
pub fn tokens(analyzer: &Analyzer, text: &str) -> Tokens {
    let mut out = Tokens::new();
    analyzer.for_each_token(text, |term, start, end| {
        out.push((term_hash(term), start as u32, end as u32));
    });
    out
}

/// [`highlight`] from the text's [`tokens`] and the [`term_hash`]es of the terms: the same snippet.
pub fn highlight_tokens(
    text: &str,
    tokens: &[(u64, u32, u32)],
    terms: &HashSet<u64>,
    max_chars: usize,
) -> Snippet {
    let spans = tokens
        .iter()
        .filter(|(h, _, _)| terms.contains(h))
        .map(|&(_, s, e)| (s as usize, e as usize))
        .collect();
    fragment(text, spans, max_chars)
}

/// The fragment of `text` holding the most of `spans`, with them marked.
fn fragment(text: &str, mut spans: Vec<(usize, usize)>, max_chars: usize) -> Snippet {
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
