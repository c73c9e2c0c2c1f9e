//! Snippets: fragments of a text with the matched terms marked.

use std::collections::HashSet;

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
