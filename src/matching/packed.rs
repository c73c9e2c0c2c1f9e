//! Term bags as the engine keeps them: one byte string per bag, exact.
//!
//! A bag's terms are sorted, so each is stored as its distance from the previous one, in the fewest whole
//! bytes (1 to 4) that hold the bag's largest distance: two for most word bags, whose frequent terms have
//! small ids, four for bigram hashes. Its weights are field-boosted or dampened counts, and a bag has few
//! distinct ones: when it has at most 256 they are listed once and each entry keeps a one-byte index into
//! the list, else each entry keeps its four bytes. Every entry has the same width, so reading one is two
//! loads and no branch on the data. Reading gives back the very same `(term, weight)` pairs, bit for bit,
//! in the same order; a bag takes from three to five eighths of the bytes of a `Vec<(u32, f32)>`.

/// Largest number of distinct weights listed once (indices are one byte).
const PALETTE_MAX: usize = 256;

/// Bytes after the last entry, so that every entry can be read as a whole little-endian `u32`.
const PAD: usize = 3;

/// Flag of the layout byte: the weights are listed once and entries keep one-byte indices.
const LISTED: u8 = 0x10;

/// A sorted term bag, packed (see the module documentation). Layout: entry count (`u32`), one byte of
/// distance width (low bits) and [`LISTED`], then when listed the number of weights minus one and the
/// weights, then the entries and [`PAD`] zero bytes.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Packed(Box<[u8]>);

impl Packed {
    /// Packs `bag`, which must be sorted by term without duplicates (as every bag of the engine is).
    pub(crate) fn new(bag: &[(u32, f32)]) -> Packed {
        if bag.is_empty() {
            return Packed::default();
        }
        debug_assert!(bag.windows(2).all(|w| w[0].0 < w[1].0), "bag not sorted");
        let mut palette: Vec<u32> = bag.iter().map(|(_, w)| w.to_bits()).collect();
        palette.sort_unstable();
        palette.dedup();
        if palette.len() > PALETTE_MAX {
            palette.clear();
        }
        let mut widest = 0u32;
        let mut prev = 0u32;
        for &(term, _) in bag {
            widest = widest.max(term.wrapping_sub(prev));
            prev = term;
        }
        let width = (4 - widest.leading_zeros() as usize / 8).max(1);
        let weight_width = if palette.is_empty() { 4 } else { 1 };
        let mut out =
            Vec::with_capacity(6 + palette.len() * 4 + bag.len() * (width + weight_width) + PAD);
        out.extend_from_slice(&(bag.len() as u32).to_le_bytes());
        if palette.is_empty() {
            out.push(width as u8);
        } else {
            out.push(width as u8 | LISTED);
            out.push((palette.len() - 1) as u8);
            for bits in &palette {
                out.extend_from_slice(&bits.to_le_bytes());
            }
        }
        let mut prev = 0u32;
        for &(term, weight) in bag {
            out.extend_from_slice(&term.wrapping_sub(prev).to_le_bytes()[..width]);
            prev = term;
            let bits = weight.to_bits();
            // An empty palette finds nothing: the weight is kept whole.
            match palette.binary_search(&bits) {
                Ok(i) => out.push(i as u8),
                Err(_) => out.extend_from_slice(&bits.to_le_bytes()),
            }
        }
        out.extend_from_slice(&[0; PAD]);
        Packed(out.into_boxed_slice())
    }

    /// Number of terms.
    pub(crate) fn len(&self) -> usize {
        word(&self.0, 0) as usize
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Heap bytes.
    pub(crate) fn bytes(&self) -> usize {
        self.0.len()
    }

    /// The `(term, weight)` pairs in term order.
    pub(crate) fn iter(&self) -> Iter<'_> {
        let bytes = &self.0[..];
        if bytes.len() < 5 {
            return Iter {
                palette: &[],
                bytes,
                pos: 0,
                left: 0,
                prev: 0,
                width: 1,
                mask: 0,
            };
        }
        let width = usize::from(bytes[4] & 0x0f).clamp(1, 4);
        let mask = if width == 4 {
            u32::MAX
        } else {
            (1 << (8 * width)) - 1
        };
        let (palette, pos) = if bytes[4] & LISTED != 0 && bytes.len() > 5 {
            let end = (6 + (usize::from(bytes[5]) + 1) * 4).min(bytes.len());
            (&bytes[6..end], end)
        } else {
            (&[][..], 5)
        };
        Iter {
            palette,
            bytes,
            pos,
            left: self.len() as u32,
            prev: 0,
            width,
            mask,
        }
    }

    /// For each term in order, `probe(term)`; where it gives a value, `on(term, value, weight)`. The weight is
    /// read only then, and each layout has its own loop over fixed-size entries, which makes scanning a
    /// bag against a few query terms several times cheaper than [`Packed::iter`].
    #[inline]
    pub(crate) fn matches<T>(
        &self,
        mut probe: impl FnMut(u32) -> Option<T>,
        mut on: impl FnMut(u32, T, f32),
    ) {
        let it = self.iter();
        let n = it.left as usize;
        let listed = !it.palette.is_empty();
        let stride = it.width + if listed { 1 } else { 4 };
        let Some(entries) = it.bytes.get(it.pos..it.pos + n * stride) else {
            return;
        };
        let (palette, _) = it.palette.as_chunks::<4>();
        let (p, o) = (&mut probe, &mut on);
        match (it.width, listed) {
            (1, true) => scan::<1, 2, T>(entries, palette, p, o),
            (2, true) => scan::<2, 3, T>(entries, palette, p, o),
            (3, true) => scan::<3, 4, T>(entries, palette, p, o),
            (4, true) => scan::<4, 5, T>(entries, palette, p, o),
            (1, false) => scan::<1, 5, T>(entries, palette, p, o),
            (2, false) => scan::<2, 6, T>(entries, palette, p, o),
            (3, false) => scan::<3, 7, T>(entries, palette, p, o),
            _ => scan::<4, 8, T>(entries, palette, p, o),
        }
    }

    /// The terms only, in order.
    pub(crate) fn terms(&self) -> impl Iterator<Item = u32> + '_ {
        self.iter().map(|(t, _)| t)
    }

    /// Sum of the weights, in term order.
    pub(crate) fn weight_sum(&self) -> f32 {
        self.iter().map(|(_, w)| w).sum()
    }

    /// The bag unpacked.
    pub(crate) fn unpack(&self) -> Vec<(u32, f32)> {
        self.iter().collect()
    }
}

/// Reads a [`Packed`] bag.
pub(crate) struct Iter<'a> {
    /// The listed weights (empty when each entry keeps its own).
    palette: &'a [u8],
    bytes: &'a [u8],
    pos: usize,
    left: u32,
    prev: u32,
    width: usize,
    mask: u32,
}

impl Iter<'_> {
    /// The bits of the weight at `pos`.
    #[inline]
    fn weight_bits(&self) -> u32 {
        if self.palette.is_empty() {
            word(self.bytes, self.pos)
        } else {
            let i = usize::from(self.bytes.get(self.pos).copied().unwrap_or(0));
            word(self.palette, i * 4)
        }
    }
}

impl Iterator for Iter<'_> {
    type Item = (u32, f32);

    #[inline]
    fn next(&mut self) -> Option<(u32, f32)> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let term = self
            .prev
            .wrapping_add(word(self.bytes, self.pos) & self.mask);
        self.prev = term;
        self.pos += self.width;
        let bits = self.weight_bits();
        self.pos += if self.palette.is_empty() { 4 } else { 1 };
        Some((term, f32::from_bits(bits)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left as usize, Some(self.left as usize))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// [`Packed::matches`] over entries of `W` bytes of distance and `S - W` of weight (one: an index into
/// `palette`; four: the weight's bits).
#[inline]
fn scan<const W: usize, const S: usize, T>(
    entries: &[u8],
    palette: &[[u8; 4]],
    probe: &mut impl FnMut(u32) -> Option<T>,
    on: &mut impl FnMut(u32, T, f32),
) {
    let (entries, _) = entries.as_chunks::<S>();
    let mut term = 0u32;
    for e in entries {
        let mut distance = [0u8; 4];
        distance[..W].copy_from_slice(&e[..W]);
        term = term.wrapping_add(u32::from_le_bytes(distance));
        if let Some(value) = probe(term) {
            let bits = if S == W + 1 {
                palette.get(usize::from(e[W])).copied().unwrap_or_default()
            } else {
                let mut bits = [0u8; 4];
                bits.copy_from_slice(&e[W..W + 4]);
                bits
            };
            on(term, value, f32::from_le_bytes(bits));
        }
    }
}

/// The little-endian `u32` at `at` (zero past the end, which the padding keeps entries from reaching).
#[inline]
fn word(bytes: &[u8], at: usize) -> u32 {
    bytes
        .get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u32::from_le_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_the_same_pairs_bit_for_bit() {
        let bags: Vec<Vec<(u32, f32)>> = vec![
            vec![],
            vec![(0, 1.0)],
            vec![
                (0, 0.0),
                (1, -0.0),
                (127, 1.5),
                (128, 2.5),
                (16_383, 1.0),
                (16_384, 1.5),
            ],
            vec![(5, 1.0), (70_000, 2.0), (70_001, 2.0)],
            vec![
                (3, 1.0 + 2f32.ln()),
                (9, 0.1),
                (u32::MAX - 1, 3.0),
                (u32::MAX, f32::MIN_POSITIVE),
            ],
        ];
        for bag in &bags {
            let packed = Packed::new(bag);
            let back = packed.unpack();
            assert_eq!(back.len(), bag.len());
            assert_eq!(packed.len(), bag.len());
            assert_eq!(packed.is_empty(), bag.is_empty());
            for (a, b) in back.iter().zip(bag) {
                assert_eq!(a.0, b.0);
                assert_eq!(a.1.to_bits(), b.1.to_bits());
            }
        }
    }

    #[test]
    fn matches_reads_the_weights_of_the_probed_terms() {
        for bag in [
            vec![
                (2u32, 1.5f32),
                (7, 2.0),
                (9, 1.5),
                (300, 4.0),
                (70_000, 1.0),
            ],
            (0..300u32).map(|i| (i * 1000, i as f32 * 0.37)).collect(),
        ] {
            let packed = Packed::new(&bag);
            let mut got = Vec::new();
            packed.matches(
                |t| (t % 2 == 0).then_some(t * 10),
                |t, v, w| got.push((t, v, w)),
            );
            let want: Vec<(u32, u32, f32)> = bag
                .iter()
                .filter(|(t, _)| t % 2 == 0)
                .map(|&(t, w)| (t, t * 10, w))
                .collect();
            assert_eq!(got, want);
        }
    }

    #[test]
    fn many_distinct_weights_are_kept_whole() {
        // 300 distinct weights do not fit one-byte indices: each entry keeps its own four bytes.
        let bag: Vec<(u32, f32)> = (0..300u32)
            .map(|i| (i * 1000, i as f32 * 0.37 + 0.01))
            .collect();
        let packed = Packed::new(&bag);
        assert_eq!(packed.unpack(), bag);
        // Distances of 1,000 take two bytes.
        assert_eq!(packed.bytes(), 5 + bag.len() * (2 + 4) + PAD);
        // Few weights and short distances: one byte of distance and one of weight index per entry.
        let few: Vec<(u32, f32)> = (0..300u32).map(|i| (i * 3, (i % 4) as f32 + 1.0)).collect();
        let small = Packed::new(&few);
        assert_eq!(small.unpack(), few);
        assert_eq!(small.bytes(), 6 + 4 * 4 + few.len() * 2 + PAD);
    }
}
