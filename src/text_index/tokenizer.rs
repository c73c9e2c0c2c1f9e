//! The tantivy tokenizers: [`TermsTokenizer`] splits pre-analysed field values made by [`join_terms`];
//! [`SgTokenizer`] runs the analyzer itself.

use tantivy::tokenizer::{Token as TantivyToken, TokenStream, Tokenizer};

use super::TERM_SEPARATOR;
use crate::analysis::Analyzer;

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
