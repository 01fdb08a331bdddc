//! The equality index of one field: the hash of each value (as [`Key::bits`] makes it) to
//! the ids holding it, with bitsets of the large postings kept for membership tests.

use std::sync::{Arc, Mutex, PoisonError};

use hashbrown::{DefaultHashBuilder, HashMap};

use super::idset::{BITSET_MIN_IDS, IdSet, bits_of, set_bit};
use crate::query::plan::Key;

/// The ids holding one value.
#[derive(Clone, Debug)]
pub(super) enum Posting {
    One(u32),
    Many(Vec<u32>),
}

impl Posting {
    pub(super) fn ids(&self) -> &[u32] {
        match self {
            Self::One(id) => std::slice::from_ref(id),
            Self::Many(v) => v,
        }
    }

    pub(super) fn add(&mut self, id: u32) {
        match self {
            Self::One(a) if *a == id => {}
            Self::One(a) => {
                let mut v = vec![*a, id];
                v.sort_unstable();
                *self = Self::Many(v);
            }
            Self::Many(v) => {
                if let Err(i) = v.binary_search(&id) {
                    v.insert(i, id);
                }
            }
        }
    }

    /// Removes `id`; whether the posting is now empty.
    pub(super) fn remove(&mut self, id: u32) -> bool {
        match self {
            Self::One(a) => *a == id,
            Self::Many(v) => {
                if let Ok(i) = v.binary_search(&id) {
                    v.remove(i);
                }
                if let [only] = v.as_slice() {
                    *self = Self::One(*only);
                }
                false
            }
        }
    }
}

#[derive(Debug, Default)]
pub(super) struct EqIndex {
    pub(super) map: HashMap<u64, Posting>,
    pub(super) hasher: DefaultHashBuilder,
    /// Bitsets over ids of the large postings (keyed like `map`), built when a query first
    /// tests membership in one and kept in step by writes from then on.
    bits: Mutex<HashMap<u64, Arc<Vec<u64>>>>,
}

impl EqIndex {
    pub(super) fn hash(&self, key: &Key<'_>) -> u64 {
        key.bits(&self.hasher)
    }

    pub(super) fn add(&mut self, key: &Key<'_>, id: u32) {
        let h = self.hash(key);
        match self.map.get_mut(&h) {
            Some(p) => p.add(id),
            None => {
                self.map.insert(h, Posting::One(id));
            }
        }
        // A write holds the store's write lock, so no query holds a bitset: no copy is made.
        if let Some(bits) = self.bits.get_mut().unwrap_or_else(PoisonError::into_inner).get_mut(&h) {
            set_bit(Arc::make_mut(bits), id, true);
        }
    }

    pub(super) fn remove(&mut self, key: &Key<'_>, id: u32) {
        let h = self.hash(key);
        if self.map.get_mut(&h).is_some_and(|p| p.remove(id)) {
            self.map.remove(&h);
        }
        if let Some(bits) = self.bits.get_mut().unwrap_or_else(PoisonError::into_inner).get_mut(&h) {
            set_bit(Arc::make_mut(bits), id, false);
        }
    }

    pub(super) fn get(&self, key: &Key<'_>) -> &[u32] {
        self.map.get(&self.hash(key)).map_or(&[], Posting::ids)
    }

    /// The posting of `key` as a set: a bitset when the posting is large and the bitset no
    /// larger than it (one bit per id up to the largest), else the ids.
    pub(super) fn members(&self, key: &Key<'_>) -> IdSet {
        let h = self.hash(key);
        let ids = self.map.get(&h).map_or(&[][..], Posting::ids);
        let largest = ids.last().map_or(0, |&id| id as usize);
        if ids.len() < BITSET_MIN_IDS || ids.len() < largest / 32 {
            return IdSet::Ids(ids.to_vec());
        }
        let mut known = self.bits.lock().unwrap_or_else(PoisonError::into_inner);
        let bits = known.entry(h).or_insert_with(|| Arc::new(bits_of(ids.iter().copied())));
        IdSet::Bits(bits.clone())
    }

    pub(super) fn heap_size(&self) -> usize {
        let bits = self.bits.lock().unwrap_or_else(PoisonError::into_inner);
        bits.values().map(|b| b.capacity() * 8).sum::<usize>()
            + self.map.capacity() * (std::mem::size_of::<(u64, Posting)>() + 1)
            + self
                .map
                .values()
                .map(|p| match p {
                    Posting::One(_) => 0,
                    Posting::Many(v) => v.capacity() * 4,
                })
                .sum::<usize>()
    }
}
