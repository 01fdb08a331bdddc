//! The ordered (prefix) index of a text field: record ids sorted by the folded text, then id.

use super::Docs;
use crate::query::filter::cmp_ci;

/// Where record `id` sorts in an ordered index on text field `key` (by the text without
/// case, then by id), or `None` when the record has no text there (it is not in the index).
pub(super) fn ord_position(ord: &[u32], key: u16, id: u32, docs: &impl Docs) -> Option<usize> {
    let mine = docs.doc_of(id).and_then(|d| d.str_at(key))?;
    let text = |other: u32| docs.doc_of(other).and_then(|d| d.str_at(key)).unwrap_or("");
    Some(ord.partition_point(|&other| cmp_ci(text(other), mine).then(other.cmp(&id)).is_lt()))
}

pub(super) fn build_ord(key: u16, docs: &impl Docs) -> Vec<u32> {
    // Sorted by the first two folded characters packed in a word, the full text only
    // breaking ties: no copy of a million texts (48 MB at a million members, much of it kept
    // resident by the allocator afterwards). The words sit in a table by id (dense ids, as
    // records are numbered): the one temporary is 4 bytes a record.
    let text = |id: u32| docs.doc_of(id).and_then(|d| d.str_at(key));
    let mut ids: Vec<u32> = docs.all_ids().filter(|&id| text(id).is_some()).collect();
    let (lo, hi) = (ids.first().copied().unwrap_or(0), ids.last().copied().unwrap_or(0));
    let dense = ((hi - lo) as usize) < ids.len().saturating_mul(2);
    let words: Vec<u32> =
        if dense { (lo..=hi).map(|id| text(id).map_or(0, packed_prefix)).collect() } else { Vec::new() };
    let word = |id: u32| if dense { words[(id - lo) as usize] } else { text(id).map_or(0, packed_prefix) };
    ids.sort_unstable_by(|&a, &b| {
        word(a).cmp(&word(b)).then_with(|| cmp_ci(text(a).unwrap_or(""), text(b).unwrap_or(""))).then(a.cmp(&b))
    });
    ids
}

/// The first two characters of `text`, folded, in 32 bits ordered as [`cmp_ci`] orders
/// texts (never against it; equal words say nothing): 16 bits a character, the code point
/// plus one up to `0xFFFF` (characters beyond share it, and nothing after one of them is
/// packed), 0 where the text has ended, which sorts a shorter text first.
fn packed_prefix(text: &str) -> u32 {
    let mut chars = text.chars().map(crate::query::filter::fold);
    let first = chars.next().map_or(0, |c| (u32::from(c) + 1).min(0xFFFF));
    // After a character that shares its bits with others, the next says nothing.
    let second = if first == 0xFFFF { 0 } else { chars.next().map_or(0, |c| (u32::from(c) + 1).min(0xFFFF)) };
    (first << 16) | second
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::packed_prefix;
    use crate::query::filter::cmp_ci;

    proptest! {
        #[test]
        fn packed_prefixes_never_order_texts_against_cmp_ci(a in "[a-cA-CéÉİı\u{10400}\u{10401}\u{FFFF}]{0,4}", b in "[a-cA-CéÉİı\u{10400}\u{10401}\u{FFFF}]{0,4}") {
            let (ka, kb) = (packed_prefix(&a), packed_prefix(&b));
            if ka != kb {
                prop_assert_eq!(ka.cmp(&kb), cmp_ci(&a, &b), "{} vs {}", a, b);
            }
        }
    }
}
