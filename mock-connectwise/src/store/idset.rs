//! Sets of record ids as the indexes hand them out, and the set algebra that answers an
//! exactly indexed query without reading a record: a bitset over ids for a large set (one
//! bit per id up to the largest), ascending ids for a small one.
//!
//! `and` of two bitsets is a word-wise AND, `or` a word-wise OR; a small set meets a large
//! one by testing each of its ids. Counting a bitset is a population count, so a count's
//! cost grows with the number of index terms and the table's id range (a million ids are
//! 15,625 words), never with the number of matches; a page in id order is read by walking
//! the set from the cursor until the page is full.

use std::sync::Arc;

/// Sets this large are kept as bitsets (smaller in tests, so random small tables meet both
/// forms).
pub(crate) const BITSET_MIN_IDS: usize = if cfg!(test) { 6 } else { 1024 };

/// A set of record ids.
#[derive(Clone, Debug)]
pub(crate) enum IdSet {
    /// A bit per id (shared with an index's cache, or made by an operation).
    Bits(Arc<Vec<u64>>),
    /// Ascending, distinct ids.
    Ids(Vec<u32>),
}

/// Whether bit `id` is set.
pub(crate) fn has_bit(bits: &[u64], id: u32) -> bool {
    bits.get(id as usize / 64).is_some_and(|w| w & (1 << (id % 64)) != 0)
}

/// Sets or clears bit `id`, growing the set as needed.
pub(crate) fn set_bit(bits: &mut Vec<u64>, id: u32, on: bool) {
    let word = id as usize / 64;
    if word >= bits.len() {
        if !on {
            return;
        }
        bits.resize(word + 1, 0);
    }
    if on {
        bits[word] |= 1 << (id % 64);
    } else {
        bits[word] &= !(1 << (id % 64));
    }
}

/// A bitset of `ids`.
pub(crate) fn bits_of(ids: impl IntoIterator<Item = u32>) -> Vec<u64> {
    let mut bits = Vec::new();
    ids.into_iter().for_each(|id| set_bit(&mut bits, id, true));
    bits
}

impl IdSet {
    /// The set of `ids` (in any order, repeats allowed), in the form its size calls for.
    pub(crate) fn of(ids: &[u32]) -> Self {
        if ids.len() >= BITSET_MIN_IDS {
            let max = ids.iter().copied().max().unwrap_or(0) as usize;
            // A sparse large set stays a list: its bitset would be larger than the ids.
            if ids.len() >= max / 32 {
                return Self::Bits(Arc::new(bits_of(ids.iter().copied())));
            }
        }
        Self::Ids(ascending(ids))
    }

    /// Whether `id` is in the set.
    pub(crate) fn contains(&self, id: u32) -> bool {
        match self {
            Self::Bits(b) => has_bit(b, id),
            Self::Ids(ids) => ids.binary_search(&id).is_ok(),
        }
    }

    /// How many ids greater than `after` the set holds.
    pub(crate) fn count_after(&self, after: u32) -> usize {
        match self {
            Self::Ids(ids) => ids.len() - ids.partition_point(|&i| i <= after),
            Self::Bits(bits) => {
                let first = after as usize / 64;
                let Some(head) = bits.get(first) else { return 0 };
                // Bits up to `after` in its own word are left out.
                let shift = after % 64 + 1;
                let head = if shift == 64 { 0 } else { head & (u64::MAX << shift) };
                head.count_ones() as usize + bits[first + 1..].iter().map(|w| w.count_ones() as usize).sum::<usize>()
            }
        }
    }

    /// The ids greater than `after`, ascending.
    pub(crate) fn iter_after(&self, after: u32) -> Box<dyn Iterator<Item = u32> + '_> {
        match self {
            Self::Ids(ids) => Box::new(ids[ids.partition_point(|&i| i <= after)..].iter().copied()),
            Self::Bits(bits) => {
                let first = after as usize / 64;
                Box::new(
                    bits.iter()
                        .enumerate()
                        .skip(first)
                        .flat_map(|(w, &word)| Ones { base: (w * 64) as u32, word })
                        .filter(move |&id| id > after),
                )
            }
        }
    }

    /// The ids in both sets.
    pub(crate) fn and(self, other: &IdSet) -> IdSet {
        match (self, other) {
            (Self::Ids(a), other) => Self::Ids(a.into_iter().filter(|&id| other.contains(id)).collect()),
            (me @ Self::Bits(_), Self::Ids(b)) => Self::Ids(b.iter().copied().filter(|&id| me.contains(id)).collect()),
            (Self::Bits(a), Self::Bits(b)) => {
                let mut out = Arc::unwrap_or_clone(a);
                out.truncate(b.len());
                out.iter_mut().zip(b.iter()).for_each(|(x, y)| *x &= y);
                Self::Bits(Arc::new(out))
            }
        }
    }

    /// The ids in either set.
    pub(crate) fn or(self, other: &IdSet) -> IdSet {
        match (self, other) {
            (Self::Ids(a), Self::Ids(b)) => {
                let mut all = a;
                all.extend_from_slice(b);
                Self::of(&all)
            }
            (Self::Ids(a), Self::Bits(b)) => {
                let mut out = (**b).clone();
                a.into_iter().for_each(|id| set_bit(&mut out, id, true));
                Self::Bits(Arc::new(out))
            }
            (Self::Bits(a), other) => {
                let mut out = Arc::unwrap_or_clone(a);
                match other {
                    Self::Ids(b) => b.iter().for_each(|&id| set_bit(&mut out, id, true)),
                    Self::Bits(b) => {
                        if out.len() < b.len() {
                            out.resize(b.len(), 0);
                        }
                        out.iter_mut().zip(b.iter()).for_each(|(x, y)| *x |= y);
                    }
                }
                Self::Bits(Arc::new(out))
            }
        }
    }
}

/// The set bits of one word, as ids.
struct Ones {
    base: u32,
    word: u64,
}

impl Iterator for Ones {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        if self.word == 0 {
            return None;
        }
        let bit = self.word.trailing_zeros();
        self.word &= self.word - 1;
        Some(self.base + bit)
    }
}

/// Distinct ids in ascending order; a large set goes through a bitset over ids, which is
/// linear where sorting is not (a prefix range of 10,000 ids in a 100,000-record table).
pub(crate) fn ascending(ids: &[u32]) -> Vec<u32> {
    if ids.len() < 1024 {
        let mut v = ids.to_vec();
        v.sort_unstable();
        v.dedup();
        return v;
    }
    let bits = bits_of(ids.iter().copied());
    let mut out = Vec::with_capacity(ids.len());
    for (w, &word) in bits.iter().enumerate() {
        out.extend(Ones { base: (w * 64) as u32, word });
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn ascending_sorts_small_and_large_sets_alike() {
        for n in [0u32, 5, 1023, 1024, 5000] {
            // A scattered, repeating sequence of ids (a multiplicative walk modulo a prime).
            let ids: Vec<u32> = (0..n).map(|i| (i * 7919 + 13) % 10_007).chain((0..n / 10).map(|i| i * 3)).collect();
            let mut expected = ids.clone();
            expected.sort_unstable();
            expected.dedup();
            assert_eq!(ascending(&ids), expected, "{n} ids");
        }
    }

    /// Either form of a set: ids, or a bitset (with trailing zero words sometimes).
    fn set(ids: &[u32], bits: bool, pad: usize) -> IdSet {
        if bits {
            let mut b = bits_of(ids.iter().copied());
            b.resize(b.len() + pad, 0);
            IdSet::Bits(Arc::new(b))
        } else {
            IdSet::Ids(ascending(ids))
        }
    }

    proptest! {
        #[test]
        fn set_algebra_agrees_with_ordered_sets(
            a in proptest::collection::vec(0u32..300, 0..80),
            b in proptest::collection::vec(0u32..300, 0..80),
            (a_bits, b_bits) in (any::<bool>(), any::<bool>()),
            pad in 0usize..3,
            after in 0u32..320,
        ) {
            let (sa, sb): (BTreeSet<u32>, BTreeSet<u32>) = (a.iter().copied().collect(), b.iter().copied().collect());
            let (x, y) = (set(&a, a_bits, pad), set(&b, b_bits, 0));
            let and: Vec<u32> = sa.intersection(&sb).copied().filter(|&i| i > after).collect();
            let or: Vec<u32> = sa.union(&sb).copied().filter(|&i| i > after).collect();
            let got_and = x.clone().and(&y);
            let got_or = x.clone().or(&y);
            prop_assert_eq!(got_and.iter_after(after).collect::<Vec<_>>(), and.clone());
            prop_assert_eq!(got_and.count_after(after), and.len());
            prop_assert_eq!(got_or.iter_after(after).collect::<Vec<_>>(), or.clone());
            prop_assert_eq!(got_or.count_after(after), or.len());
            prop_assert_eq!(IdSet::of(&a).iter_after(0).collect::<Vec<_>>(), sa.iter().copied().filter(|&i| i > 0).collect::<Vec<_>>());
            for id in 0..310 {
                prop_assert_eq!(x.contains(id), sa.contains(&id));
            }
        }
    }
}
