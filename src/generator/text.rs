//! Small tools the composers share: per-record seeded random streams, picking and sampling from pools,
//! and joining Chinese phrases into enumerations and sentences.

use rand::{Rng as _, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The random generator of the generator: explicit, seedable, stable across platforms.
pub type Rng = Xoshiro256PlusPlus;

/// Streams of independent random numbers, one per kind of record.
pub const STREAM_PLAN: u64 = 1;
pub const STREAM_TEAM: u64 = 2;
pub const STREAM_DEMAND: u64 = 3;
pub const STREAM_ZONE: u64 = 4;
pub const STREAM_UNIVERSITY: u64 = 5;
/// Patent numbers and statuses, drawn apart so the rest of a team does not depend on them.
pub const STREAM_PATENT: u64 = 6;

/// The random stream of record `index` of `stream` under `seed`: records can be composed in any order or in
/// parallel and still come out the same.
pub fn record_rng(seed: u64, stream: u64, index: u64) -> Rng {
    Rng::seed_from_u64(splitmix(
        seed ^ splitmix(stream.wrapping_mul(0x9E37_79B9) ^ splitmix(index)),
    ))
}

fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// True with probability `p`.
pub fn chance(rng: &mut Rng, p: f64) -> bool {
    rng.gen_bool(p.clamp(0.0, 1.0))
}

/// A uniform integer in `low..=high` (`low` when the range is empty).
pub fn between(rng: &mut Rng, low: u32, high: u32) -> u32 {
    if high <= low {
        low
    } else {
        rng.gen_range(low..=high)
    }
}

/// One entry of a pool of strings (`""` for an empty pool).
pub fn pick<'a, S: AsRef<str>>(rng: &mut Rng, items: &'a [S]) -> &'a str {
    pick_ref(rng, items).map_or("", AsRef::as_ref)
}

/// A uniform position in a slice of length `len` (0 when it is empty).
pub fn index(rng: &mut Rng, len: usize) -> usize {
    if len == 0 { 0 } else { rng.gen_range(0..len) }
}

/// One entry of a slice, `None` when it is empty.
pub fn pick_ref<'a, T>(rng: &mut Rng, items: &'a [T]) -> Option<&'a T> {
    if items.is_empty() {
        None
    } else {
        items.get(rng.gen_range(0..items.len()))
    }
}

/// An entry of a weighted table (`fallback` when every weight is zero).
pub fn weighted<T: Copy>(rng: &mut Rng, items: &[(T, u32)], fallback: T) -> T {
    let total: u32 = items.iter().map(|(_, w)| *w).sum();
    if total == 0 {
        return fallback;
    }
    let mut roll = rng.gen_range(0..total);
    for (item, weight) in items {
        if roll < *weight {
            return *item;
        }
        roll -= weight;
    }
    fallback
}

/// Up to `k` distinct positions of a slice of length `len`, in a seeded random order (partial
/// Fisher–Yates).
pub fn sample_indices(rng: &mut Rng, len: usize, k: usize) -> Vec<usize> {
    let mut indices: Vec<usize> = (0..len).collect();
    let k = k.min(len);
    for i in 0..k {
        let j = rng.gen_range(i..len);
        indices.swap(i, j);
    }
    indices.truncate(k);
    indices
}

/// Up to `k` distinct entries of a pool of strings, in random order.
pub fn sample<'a, S: AsRef<str>>(rng: &mut Rng, items: &'a [S], k: usize) -> Vec<&'a str> {
    sample_indices(rng, items.len(), k)
        .into_iter()
        .map(|i| items[i].as_ref())
        .collect()
}

/// Between `low` and `high` distinct entries of a pool of strings, in random order.
pub fn sample_between<'a, S: AsRef<str>>(
    rng: &mut Rng,
    items: &'a [S],
    low: u32,
    high: u32,
) -> Vec<&'a str> {
    let k = between(rng, low, high) as usize;
    sample(rng, items, k)
}

/// Shuffles a slice in place (Fisher–Yates).
pub fn shuffle<T>(rng: &mut Rng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = rng.gen_range(0..=i);
        items.swap(i, j);
    }
}

/// Character bigrams of a text, punctuation and spaces left out.
pub fn bigrams(text: &str) -> std::collections::HashSet<(char, char)> {
    crate::analysis::char_bigrams(text, false)
        .into_iter()
        .collect()
}

/// Whether two phrases name much the same thing (they share at least two character bigrams), so one frame
/// should not hold both.
pub fn similar(a: &str, b: &str) -> bool {
    bigrams(a).intersection(&bigrams(b)).count() >= 2
}

/// `A`, `A和B`, `A、B和C`: a Chinese enumeration.
pub fn enumerate(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{}和{last}", init.join("、")),
    }
}

/// `（1）A；（2）B；（3）C`: a numbered Chinese list.
pub fn numbered(items: &[&str]) -> String {
    let items: Vec<String> = items
        .iter()
        .enumerate()
        .map(|(i, x)| format!("（{}）{x}", i + 1))
        .collect();
    items.join("；")
}

/// A phrase without trailing punctuation, ready to be framed by a sentence.
pub fn clause(text: &str) -> &str {
    text.trim()
        .trim_end_matches(['。', '；', '，', '.', ';', ',', '！'])
}

/// A research direction without a trailing `研究`, for frames that add their own.
pub fn direction_core(text: &str) -> &str {
    let text = clause(text);
    text.strip_suffix("研究").unwrap_or(text)
}

/// A track name without its bracketed qualifier: `新型电力（新能源）装备` stays, `集成电路（产业链）` becomes
/// `集成电路`.
pub fn short_track_name(name: &str) -> &str {
    match name.find('（') {
        Some(at) if name.ends_with('）') => &name[..at],
        _ => name,
    }
}

/// One discipline out of `化学/化学工程与技术` style alternatives.
pub fn one_discipline<'a>(rng: &mut Rng, discipline: &'a str) -> &'a str {
    let parts: Vec<&str> = discipline
        .split('/')
        .filter(|p| !p.trim().is_empty())
        .collect();
    pick_ref(rng, &parts).copied().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        use rand::RngCore;
        let a = record_rng(7, STREAM_TEAM, 3).next_u64();
        assert_eq!(a, record_rng(7, STREAM_TEAM, 3).next_u64());
        assert_ne!(a, record_rng(7, STREAM_TEAM, 4).next_u64());
        assert_ne!(a, record_rng(7, STREAM_DEMAND, 3).next_u64());
        assert_ne!(a, record_rng(8, STREAM_TEAM, 3).next_u64());
    }

    #[test]
    fn chinese_text_helpers() {
        assert_eq!(enumerate(&["甲", "乙", "丙"]), "甲、乙和丙");
        assert_eq!(enumerate(&["甲"]), "甲");
        assert_eq!(direction_core("电池安全状态估计研究。"), "电池安全状态估计");
        assert_eq!(short_track_name("集成电路（产业链）"), "集成电路");
        assert_eq!(
            short_track_name("新型电力（新能源）装备"),
            "新型电力（新能源）装备"
        );
        let mut rng = record_rng(1, 1, 1);
        assert_eq!(pick::<&str>(&mut rng, &[]), "");
        assert_eq!(sample(&mut rng, &["a", "b"], 5).len(), 2);
    }
}
