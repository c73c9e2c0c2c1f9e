//! Text analysis shared by the text index and the models: Chinese segmentation (jieba, search mode, with the
//! domain dictionary `models/dict.txt`), English lower-casing, stop-word removal and Snowball stemming.
//!
//! One [`Analyzer`] owns one `Arc<Jieba>`; clones share it, so the dictionaries are loaded once per process.
//! Its output is a list of [`Token`]s: the normalised term, its position (1, 2, 3, … in emission order) and the
//! byte range of the original text it came from (used for highlighting).
//!
//! Rules, in order:
//! - full-width ASCII (`ＡＢＣ１２３`) is read as half-width; offsets still point into the original text;
//! - jieba's search mode cuts the text, so a long term such as `锂离子电池` also yields `离子`, `电池`; the HMM
//!   is off, so text outside the dictionaries falls into single characters the same way everywhere;
//! - punctuation, whitespace, single digits and decimals are dropped, as are Chinese function words; integers
//!   of two digits or more are kept (years, cultivar and model numbers);
//! - Latin words are lower-cased; stop words are dropped; ordinary words are stemmed (`batteries` → `batteri`);
//!   acronyms and alphanumerics (`SiC`, `GaN`, `5G`, `Li-S`, `MOSFETs`) are kept whole, lower-cased and
//!   unstemmed (a plural `s` after an upper-case acronym is dropped); single Latin letters are dropped, single
//!   Greek letters (`β`) kept.

use std::io::BufRead;
use std::sync::{Arc, OnceLock};

use jieba_rs::Jieba;
use rustc_hash::FxHashSet;
use sha2::{Digest, Sha256};

use crate::error_code::ErrorCode;

/// Bumped whenever a rule above changes the tokens of some text; part of every index and model manifest.
pub const ANALYZER_VERSION: u32 = 3;

/// The domain dictionary shipped in `models/dict.txt` (jieba user-dictionary format: `word freq tag`).
pub const DOMAIN_DICT: &str = include_str!("../models/dict.txt");

/// Errors of building an analyzer.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    #[error("invalid user dictionary: {0}")]
    Dictionary(String),
}

impl AnalysisError {
    /// Stable snake_case code of the error.
    pub fn code(&self) -> ErrorCode {
        match self {
            AnalysisError::Dictionary(_) => ErrorCode::DictionaryInvalid,
        }
    }
}

/// One analysed term of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The normalised term as indexed and queried.
    pub text: String,
    /// 1-based position in emission order.
    pub position: u32,
    /// Byte offset in the original text where the term starts.
    pub start: usize,
    /// Byte offset in the original text where the term ends.
    pub end: usize,
}

struct Inner {
    jieba: Arc<Jieba>,
    stemmer: frostem::Stemmer,
    english_stop: FxHashSet<&'static str>,
    chinese_stop: FxHashSet<&'static str>,
    version: String,
}

/// The analyzer: cheap to clone, `Send + Sync`, shared by the index, the models and the queries.
#[derive(Clone)]
pub struct Analyzer {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("version", &self.inner.version)
            .finish()
    }
}

impl Default for Analyzer {
    fn default() -> Self {
        Self::shared()
    }
}

impl Analyzer {
    /// The process-wide analyzer with jieba's dictionary and the shipped domain dictionary.
    pub fn shared() -> Analyzer {
        static SHARED: OnceLock<Analyzer> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                // The shipped dictionary is compiled in and checked by a test, so this cannot fail at run time.
                Analyzer::with_user_dict(DOMAIN_DICT.as_bytes())
                    .unwrap_or_else(|_| Analyzer::build(Jieba::new(), ""))
            })
            .clone()
    }

    /// An analyzer with jieba's dictionary plus a user dictionary (`word [freq] [tag]` per line).
    pub fn with_user_dict(mut dict: impl BufRead) -> Result<Analyzer, AnalysisError> {
        let mut text = String::new();
        dict.read_to_string(&mut text)
            .map_err(|e| AnalysisError::Dictionary(e.to_string()))?;
        let mut jieba = Jieba::new();
        jieba
            .load_dict(&mut text.as_bytes())
            .map_err(|e| AnalysisError::Dictionary(e.to_string().to_lowercase()))?;
        Ok(Analyzer::build(jieba, &text))
    }

    fn build(jieba: Jieba, dict_text: &str) -> Analyzer {
        let digest = Sha256::digest(dict_text.as_bytes());
        let version = format!("{ANALYZER_VERSION}-{}", &hex::encode(digest)[..12]);
        Analyzer {
            inner: Arc::new(Inner {
                jieba: Arc::new(jieba),
                stemmer: frostem::Stemmer::new(frostem::Algorithm::English),
                english_stop: ENGLISH_STOP_WORDS.iter().copied().collect(),
                chinese_stop: CHINESE_STOP_WORDS.iter().copied().collect(),
                version,
            }),
        }
    }

    /// Analyzer version plus a digest of its user dictionary: any change means indexes must be rebuilt.
    pub fn version(&self) -> &str {
        &self.inner.version
    }

    /// The shared segmenter.
    pub fn jieba(&self) -> &Arc<Jieba> {
        &self.inner.jieba
    }

    /// Every token of `text`, in order.
    pub fn analyze(&self, text: &str) -> Vec<Token> {
        let mut out = Vec::new();
        self.for_each_token(text, |term, start, end| {
            let position = out.len() as u32 + 1;
            out.push(Token {
                text: term.to_owned(),
                position,
                start,
                end,
            });
        });
        out
    }

    /// The terms of `text`, in order (the token texts only).
    pub fn terms(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        self.for_each_token(text, |term, _, _| out.push(term.to_owned()));
        out
    }

    /// The whole words of `text`, each as `(term, surface)`: the tokens whose span no other token's span
    /// contains, with their term and the text they stand for (`SiC` for the term `sic`, `pancakes` for
    /// `pancak`). Search mode also yields the parts of a word (处理, 理器 beside 处理器); only 处理器 is whole.
    pub fn whole_words(&self, text: &str) -> Vec<(String, String)> {
        let mut spans: Vec<(usize, usize, String)> = Vec::new();
        self.for_each_token(text, |term, start, end| {
            spans.push((start, end, term.to_owned()))
        });
        // Longest first among equal starts; a span is covered when an earlier one reaches as far.
        spans.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        spans.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
        let mut reach = 0usize;
        let mut out = Vec::new();
        for (i, (start, end, term)) in spans.into_iter().enumerate() {
            if i == 0 || end > reach {
                out.push((term, text[start..end].to_owned()));
            }
            reach = reach.max(end);
        }
        out
    }

    /// Calls `f(term, start, end)` for every token of `text`; `start..end` is the byte range in `text`.
    pub fn for_each_token(&self, text: &str, mut f: impl FnMut(&str, usize, usize)) {
        let mut buf = String::new();
        self.walk(text, |segment, from, to, normalised| {
            if let Some(term) = self.normalise_word(segment, &mut buf) {
                let (start, stop) = normalised.original_range(from, to);
                f(term, start, stop);
            }
        });
    }

    /// Calls `f(segment)` for every segment of `text`, in order, before normalisation: the tokens of `text`
    /// are the segments' [`Analyzer::term`]s, dropped ones left out. The same segment always gives the same
    /// term, so a caller that sees many may remember them.
    pub fn for_each_segment(&self, text: &str, mut f: impl FnMut(&str)) {
        self.walk(text, |segment, _, _, _| f(segment));
    }

    /// The term of one segment given by [`Analyzer::for_each_segment`], or `None` when it is dropped. `buf`
    /// is scratch space.
    pub fn term<'a>(&self, segment: &'a str, buf: &'a mut String) -> Option<&'a str> {
        self.normalise_word(segment, buf)
    }

    /// Cuts `text` and calls `f(segment, from, to, normalised)` for every segment; `from..to` is its byte
    /// range in the normalised text.
    fn walk(&self, text: &str, mut f: impl FnMut(&str, usize, usize, &Normalised)) {
        let normalised = Normalised::new(text);
        let source = normalised.text(text);
        // Without the HMM, a sequence jieba's dictionary does not know is cut into single characters, the
        // same way in a short demand title and in a long abstract; the HMM guesses new words differently
        // in different contexts, so the same name could never match.
        let tokens = self.inner.jieba.cut_for_search(source, false);
        let mut i = 0;
        while i < tokens.len() {
            let tok = &tokens[i];
            // Without the HMM jieba splits `Li-S`, `COVID-19`, `v2.0` at the connector: join them again
            // (parts first, then the whole, as jieba's search mode does with the HMM).
            let mut end = i;
            if is_ascii_alnum(tok.word) {
                while end + 2 < tokens.len()
                    && is_connector(tokens[end + 1].word)
                    && is_ascii_alnum(tokens[end + 2].word)
                    && tokens[end + 1].byte_start == tokens[end].byte_end
                    && tokens[end + 2].byte_start == tokens[end + 1].byte_end
                {
                    end += 2;
                }
            }
            if end > i {
                for part in tokens[i..=end].iter().step_by(2) {
                    f(part.word, part.byte_start, part.byte_end, &normalised);
                }
                let (from, to) = (tok.byte_start, tokens[end].byte_end);
                f(&source[from..to], from, to, &normalised);
            } else {
                f(tok.word, tok.byte_start, tok.byte_end, &normalised);
            }
            i = end + 1;
        }
    }

    /// Turns one segment into its index term, or `None` when it is dropped. `buf` is scratch space.
    fn normalise_word<'a>(&self, word: &'a str, buf: &'a mut String) -> Option<&'a str> {
        let inner = &*self.inner;
        let mut has_han = false;
        let mut has_alpha = false;
        let mut has_digit = false;
        let mut upper = 0usize;
        for c in word.chars() {
            if is_han(c) {
                has_han = true;
            } else if c.is_alphabetic() {
                has_alpha = true;
                if c.is_uppercase() {
                    upper += 1;
                }
            } else if c.is_ascii_digit() {
                has_digit = true;
            }
        }
        if has_han {
            if inner.chinese_stop.contains(word) {
                return None;
            }
            if !has_alpha {
                return Some(word);
            }
            buf.clear();
            buf.extend(word.chars().flat_map(char::to_lowercase));
            return Some(buf.as_str());
        }
        if !has_alpha {
            if word.len() >= 2 && word.bytes().all(|b| b.is_ascii_digit()) {
                // Integers of two digits or more name things: years, cultivars (萍辣9901), models.
                return Some(word);
            }
            // Punctuation, whitespace, single digits and decimals.
            return None;
        }
        let trimmed = word.trim_matches(|c: char| !c.is_alphanumeric());
        if trimmed.is_empty() {
            return None;
        }
        buf.clear();
        let is_plain_word = trimmed.chars().all(char::is_alphabetic);
        if !is_plain_word || has_digit {
            // Alphanumerics such as 5G, Li-S, H2O, COVID-19: kept whole.
            buf.extend(trimmed.chars().flat_map(char::to_lowercase));
            return Some(buf.as_str());
        }
        let len = trimmed.chars().count();
        if len < 2 && trimmed.is_ascii() {
            // Single Latin letters carry nothing; a single Greek letter (β-分泌酶) does.
            return None;
        }
        let first_upper = trimmed.chars().next().is_some_and(char::is_uppercase);
        let acronym = upper >= 2 || (upper == 1 && !first_upper);
        if acronym {
            // SiC, GaN, IGBT, MOSFETs: no stemming, a plural `s` after the acronym goes.
            let body = match trimmed.strip_suffix('s') {
                Some(stem)
                    if stem.chars().filter(|c| c.is_uppercase()).count() >= 2
                        && stem.ends_with(char::is_uppercase) =>
                {
                    stem
                }
                _ => trimmed,
            };
            buf.extend(body.chars().flat_map(char::to_lowercase));
            return Some(buf.as_str());
        }
        buf.extend(trimmed.chars().flat_map(char::to_lowercase));
        if inner.english_stop.contains(buf.as_str()) {
            return None;
        }
        let stemmed = inner.stemmer.stem(buf.as_str()).into_owned();
        *buf = stemmed;
        Some(buf.as_str())
    }
}

fn is_ascii_alnum(word: &str) -> bool {
    !word.is_empty() && word.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn is_connector(word: &str) -> bool {
    matches!(word, "-" | "." | "_")
}

/// True for CJK ideographs.
pub(crate) fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2A6DF}')
}

/// Character bigrams for comparing short phrases: each pair of adjacent alphanumeric characters of
/// `text`, spaces and punctuation left out, lower-cased first when `fold_case`. (Ranking uses its own
/// hashed bigram field in `matching`; this is the plain view for bundles and generated text.)
pub fn char_bigrams(text: &str, fold_case: bool) -> Vec<(char, char)> {
    let kept = text.chars().filter(|c| c.is_alphanumeric());
    let chars: Vec<char> = if fold_case {
        kept.flat_map(char::to_lowercase).collect()
    } else {
        kept.collect()
    };
    chars.windows(2).map(|w| (w[0], w[1])).collect()
}

/// The text with full-width ASCII mapped to half-width, and a map back to the original byte offsets.
struct Normalised {
    /// `None` when the text needed no change.
    text: Option<String>,
    /// Where offsets shift: `(byte in text, original offset minus that byte)` from that byte on, one entry
    /// after each mapped character (ascending; no entry means no shift).
    shifts: Vec<(usize, usize)>,
}

impl Normalised {
    fn new(original: &str) -> Normalised {
        if !original
            .chars()
            .any(|c| matches!(c, '\u{FF01}'..='\u{FF5E}' | '\u{3000}'))
        {
            return Normalised {
                text: None,
                shifts: Vec::new(),
            };
        }
        let mut text = String::with_capacity(original.len());
        let mut shifts = Vec::new();
        let mut shift = 0;
        for c in original.chars() {
            let mapped = match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                '\u{3000}' => ' ',
                _ => c,
            };
            text.push(mapped);
            if mapped != c {
                shift += c.len_utf8() - mapped.len_utf8();
                shifts.push((text.len(), shift));
            }
        }
        Normalised {
            text: Some(text),
            shifts,
        }
    }

    fn text<'a>(&'a self, original: &'a str) -> &'a str {
        self.text.as_deref().unwrap_or(original)
    }

    /// The original byte range of `start..end` in the text (both on character boundaries).
    fn original_range(&self, start: usize, end: usize) -> (usize, usize) {
        let at = |i: usize| {
            let n = self.shifts.partition_point(|&(from, _)| from <= i);
            i + n.checked_sub(1).map_or(0, |k| self.shifts[k].1)
        };
        (at(start), at(end))
    }
}

/// English stop words (Lucene's list plus common function words of research prose).
const ENGLISH_STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "et",
    "al",
    "etc",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "however",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "may",
    "me",
    "might",
    "more",
    "most",
    "must",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "thus",
    "to",
    "too",
    "under",
    "until",
    "up",
    "upon",
    "us",
    "very",
    "via",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "within",
    "without",
    "would",
    "yet",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
];

/// Chinese function words and the boilerplate of abstracts, which carry no topic.
const CHINESE_STOP_WORDS: &[&str] = &[
    "的",
    "了",
    "和",
    "与",
    "及",
    "或",
    "在",
    "是",
    "对",
    "为",
    "以",
    "将",
    "把",
    "被",
    "从",
    "由",
    "于",
    "之",
    "其",
    "并",
    "而",
    "且",
    "等",
    "这",
    "那",
    "该",
    "此",
    "各",
    "也",
    "都",
    "就",
    "又",
    "还",
    "所",
    "如",
    "若",
    "则",
    "但",
    "因",
    "故",
    "即",
    "既",
    "着",
    "过",
    "得",
    "地",
    "个",
    "我",
    "你",
    "他",
    "她",
    "它",
    "们",
    "有",
    "无",
    "不",
    "没",
    "很",
    "更",
    "最",
    "较",
    "已",
    "可",
    "能",
    "会",
    "要",
    "让",
    "使",
    "给",
    "向",
    "到",
    "至",
    "用",
    "上",
    "下",
    "中",
    "内",
    "外",
    "后",
    "前",
    "间",
    "时",
    "年",
    "月",
    "日",
    "一",
    "两",
    "二",
    "三",
    "几",
    "些",
    "每",
    "另",
    "其他",
    "其中",
    "我们",
    "他们",
    "本文",
    "文章",
    "本研究",
    "以及",
    "对于",
    "关于",
    "通过",
    "进行",
    "利用",
    "采用",
    "基于",
    "提出",
    "具有",
    "一种",
    "一个",
    "一些",
    "可以",
    "能够",
    "使得",
    "以下",
    "以上",
    "之间",
    "之后",
    "之前",
    "方面",
    "这些",
    "那些",
    "这种",
    "这个",
    "其它",
    "并且",
    "而且",
    "但是",
    "因此",
    "所以",
    "因为",
    "由于",
    "如果",
    "虽然",
    "然而",
    "同时",
    "此外",
    "另外",
    "从而",
    "进而",
    "以便",
    "为了",
    "并对",
    "并将",
    "表明",
    "结果表明",
    "研究表明",
    "显示",
    "认为",
    "指出",
    "得到",
    "给出",
    "分别",
    "已经",
    "正在",
    "目前",
    "主要",
    "相关",
    "不同",
    "一定",
    "一般",
    "通常",
    "非常",
    "比较",
    "较为",
    "十分",
    "尤其",
    "特别",
    "包括",
    "根据",
    "按照",
    "随着",
    "对此",
    "针对",
    "有关",
    "作为",
];

#[cfg(test)]
mod whole_word_tests {
    use super::*;

    #[test]
    fn whole_words_leave_out_the_parts_search_mode_adds() {
        let a = Analyzer::shared();
        let words: Vec<String> = a
            .whole_words("高性能处理器芯片的散热设计")
            .into_iter()
            .map(|(term, _)| term)
            .collect();
        assert!(words.contains(&"处理器".to_owned()), "{words:?}");
        assert!(!words.contains(&"理器".to_owned()), "{words:?}");
        assert!(!words.contains(&"处理".to_owned()), "{words:?}");
        let english = a.whole_words("SiC pancakes");
        assert!(
            english.iter().any(|(t, w)| t == "sic" && w == "SiC"),
            "{english:?}"
        );
        assert!(
            english.iter().any(|(t, w)| t != w && w == "pancakes"),
            "{english:?}"
        );
        let all = a.terms("高性能处理器芯片的散热设计");
        assert!(
            all.contains(&"处理".to_owned()),
            "search mode yields the part: {all:?}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<String> {
        Analyzer::shared().terms(text)
    }

    #[test]
    fn shipped_dictionary_loads() {
        let analyzer =
            Analyzer::with_user_dict(DOMAIN_DICT.as_bytes()).expect("shipped dictionary parses");
        assert!(analyzer.jieba().has_word("构网型变流器"));
        assert!(
            analyzer
                .version()
                .starts_with(&format!("{ANALYZER_VERSION}-"))
        );
    }

    #[test]
    fn chinese_sentence_in_search_mode() {
        let t = terms("动力电池热失控预警，锂离子电池安全状态在线监测。");
        assert_eq!(
            t,
            [
                "动力",
                "电池",
                "动力电池",
                "失控",
                "热失控",
                "预警",
                "离子",
                "电池",
                "锂离子",
                "锂离子电池",
                "安全",
                "状态",
                "在线",
                "监测"
            ]
        );
    }

    #[test]
    fn domain_terms_stay_whole() {
        let t = terms("研发构网型变流器与虚拟电厂调度系统");
        assert!(t.contains(&"构网型变流器".to_owned()), "{t:?}");
        assert!(t.contains(&"虚拟电厂".to_owned()), "{t:?}");
    }

    #[test]
    fn english_is_lowercased_stemmed_and_stop_words_go() {
        let t = terms("The Batteries are monitoring thermal runaway of the cells.");
        assert_eq!(t, ["batteri", "monitor", "thermal", "runaway", "cell"]);
    }

    #[test]
    fn alphanumerics_and_acronyms_are_kept() {
        let t = terms("5G基站用SiC与GaN功率器件，Li-S电池和MOSFETs");
        for want in [
            "5g", "sic", "gan", "li-s", "mosfet", "基站", "功率", "器件", "电池",
        ] {
            assert!(t.contains(&want.to_owned()), "missing {want} in {t:?}");
        }
        let t2 = terms("COVID-19疫情下的β-分泌酶研究，版本v2.0");
        for want in ["covid", "covid-19", "β", "分泌", "v2", "v2.0"] {
            assert!(t2.contains(&want.to_owned()), "missing {want} in {t2:?}");
        }
        assert!(
            !t.iter().any(|w| w.chars().all(|c| !c.is_alphanumeric())),
            "punctuation kept: {t:?}"
        );
    }

    #[test]
    fn mixed_sentence_keeps_order_and_positions() {
        let analyzer = Analyzer::shared();
        let text = "基于Transformer的故障诊断方法 for wind turbines";
        let tokens = analyzer.analyze(text);
        // Each term with the text it was read from.
        let terms: Vec<(&str, &str)> = tokens
            .iter()
            .map(|t| (t.text.as_str(), &text[t.start..t.end]))
            .collect();
        assert_eq!(
            terms,
            [
                ("transform", "Transformer"),
                ("故障", "故障"),
                ("诊断", "诊断"),
                ("故障诊断", "故障诊断"),
                ("方法", "方法"),
                ("wind", "wind"),
                ("turbin", "turbines"),
            ]
        );
        let positions: Vec<u32> = tokens.iter().map(|t| t.position).collect();
        assert_eq!(positions, (1..=tokens.len() as u32).collect::<Vec<_>>());
    }

    #[test]
    fn full_width_text_maps_back_to_original_offsets() {
        let analyzer = Analyzer::shared();
        let text = "采用ＳｉＣ器件，　与ＧａＮ对比";
        let tokens = analyzer.analyze(text);
        let original = |term: &str| {
            let t = tokens.iter().find(|t| t.text == term).expect(term);
            &text[t.start..t.end]
        };
        assert_eq!(original("sic"), "ＳｉＣ");
        assert_eq!(original("器件"), "器件");
        assert_eq!(original("gan"), "ＧａＮ");
        assert_eq!(original("对比"), "对比");
    }

    #[test]
    fn punctuation_numbers_and_empty_text_give_nothing() {
        assert!(terms("").is_empty());
        assert!(terms("，。！？、；：（）—— 7 4.5% ...").is_empty());
        assert_eq!(terms("2011年的萍辣9901"), ["2011", "萍", "辣", "9901"]);
    }

    #[test]
    fn char_bigrams_skip_punctuation_and_fold_case_on_request() {
        assert_eq!(
            char_bigrams("储能, SiC", true),
            vec![('储', '能'), ('能', 's'), ('s', 'i'), ('i', 'c')]
        );
        assert_eq!(char_bigrams("Si", false), vec![('S', 'i')]);
        assert!(char_bigrams("储", true).is_empty());
    }
}
