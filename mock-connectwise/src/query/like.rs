//! The `like` matcher, with its cost bounded (issue #27, defect 11).
//!
//! A pattern is split at its `%`s into segments of fixed length (`_` and plain characters):
//! the first must match at the start, the last at the end, and each one between is taken at
//! its leftmost place after the one before. Because every segment has a fixed length, the
//! leftmost place is always the best, so nothing is ever retried: `%a%a%…%b` costs one pass
//! over the text, where the old backtracking cost the text's length times the pattern's.
//!
//! What is left (a long segment tried at many places, `%aaaa…ab%` against a megabyte of `a`)
//! is counted: one comparison may make at most [`MAX_STEPS`] character comparisons. Beyond
//! that it stops, answers "no match" and marks the thread; a scan run inside [`limited`]
//! learns of it and stops the query with the query budget's 400 (A19.2, A27.51), so one
//! comparison can no longer hold the store's read lock for seconds.

use std::cell::Cell;

use super::{Pat, fold};

/// The most character comparisons one `like` comparison may make (A27.51): about 10 ms in a
/// release build, eight times what a word searched for in a megabyte-long note needs.
pub(crate) const MAX_STEPS: u64 = 1 << 23;

thread_local! {
    /// Set when a comparison on this thread gave up at [`MAX_STEPS`].
    static OVER: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` (a slice of a scan) and says whether a `like` comparison in it gave up at its
/// step limit, in which case what `f` found is incomplete.
pub(crate) fn limited<R>(f: impl FnOnce() -> R) -> (R, bool) {
    OVER.with(|o| o.set(false));
    let r = f();
    (r, OVER.with(|o| o.replace(false)))
}

/// Whether `text` matches `pat` (case ignored); a comparison over its limit is no match and
/// marks the thread (see [`limited`]).
pub(super) fn matches(pat: &[Pat], text: &str) -> bool {
    let found = if text.is_ascii() {
        // The common case, without allocating: bytes are characters.
        let bytes = text.as_bytes();
        segments(pat, bytes.len(), |i| char::from(bytes[i].to_ascii_lowercase()))
    } else {
        let chars: Vec<char> = text.chars().map(fold).collect();
        segments(pat, chars.len(), |i| chars[i])
    };
    found.unwrap_or_else(|| {
        OVER.with(|o| o.set(true));
        false
    })
}

/// Character comparisons left; `None` once spent.
struct Steps(u64);

impl Steps {
    fn take(&mut self) -> Option<()> {
        self.0 = self.0.checked_sub(1)?;
        Some(())
    }
}

/// Whether the fixed-length `seg` matches the text at `start` (the caller keeps it in range).
fn segment_at(seg: &[Pat], start: usize, at: &impl Fn(usize) -> char, steps: &mut Steps) -> Option<bool> {
    for (k, p) in seg.iter().enumerate() {
        steps.take()?;
        if let Pat::Ch(c) = p {
            if *c != at(start + k) {
                return Some(false);
            }
        }
    }
    Some(true)
}

/// `like` over `len` folded characters read by `at`; `None` when over [`MAX_STEPS`].
fn segments(pat: &[Pat], len: usize, at: impl Fn(usize) -> char) -> Option<bool> {
    let mut steps = Steps(MAX_STEPS);
    let segs: Vec<&[Pat]> = pat.split(|p| matches!(p, Pat::Any)).collect();
    let (head, tail) = match segs.as_slice() {
        [only] => return Some(len == only.len() && segment_at(only, 0, &at, &mut steps)?),
        [head, .., tail] => (*head, *tail),
        [] => return Some(len == 0),
    };
    if head.len() + tail.len() > len {
        return Some(false);
    }
    let end = len - tail.len();
    if !segment_at(head, 0, &at, &mut steps)? || !segment_at(tail, end, &at, &mut steps)? {
        return Some(false);
    }
    let mut pos = head.len();
    for seg in &segs[1..segs.len() - 1] {
        let mut start = pos;
        loop {
            if start + seg.len() > end {
                return Some(false);
            }
            if segment_at(seg, start, &at, &mut steps)? {
                break;
            }
            start += 1;
        }
        pos = start + seg.len();
    }
    Some(true)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::like_pattern;
    use super::*;

    /// The textbook dynamic programme, as the reference.
    fn reference(pat: &[Pat], text: &[char]) -> bool {
        let mut row = vec![false; text.len() + 1];
        row[0] = true;
        for p in pat {
            let mut next = vec![false; text.len() + 1];
            for i in 0..=text.len() {
                next[i] = match p {
                    Pat::Any => row[i] || (i > 0 && next[i - 1]),
                    Pat::One => i > 0 && row[i - 1],
                    Pat::Ch(c) => i > 0 && row[i - 1] && fold(text[i - 1]) == *c,
                };
            }
            row = next;
        }
        row[text.len()]
    }

    #[test]
    fn anchors_wildcards_and_case_follow_sql() {
        for (pat, text, want) in [
            ("abc", "ABC", true),
            ("abc", "abcd", false),
            ("a%", "a", true),
            ("%c", "abc", true),
            ("a%c", "ac", true),
            ("a%c", "a", false),
            ("ab%bc", "abc", false),
            ("_b_", "abc", true),
            ("%b_%", "ab", false),
            ("%", "", true),
            ("", "", true),
            ("", "x", false),
        ] {
            assert_eq!(matches(&like_pattern(pat), text), want, "{pat:?} {text:?}");
        }
    }

    #[test]
    fn a_pathological_comparison_gives_up_quickly_and_marks_the_thread() {
        let text = "a".repeat(1 << 20);
        let pat = like_pattern(&format!("%{}b%", "a".repeat(8 * 1024)));
        let started = std::time::Instant::now();

        let (found, over) = limited(|| matches(&pat, &text));

        assert!(!found && over);
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
        // Many stars cost one pass, not a product, and stay under the limit.
        let stars = like_pattern(&"%a".repeat(4 * 1024));
        let (found, over) = limited(|| matches(&stars, &text));
        assert!(found && !over);
        let (_, over) = limited(|| matches(&like_pattern("%b%"), "abc"));
        assert!(!over, "the mark is per run");
    }

    proptest! {
        #[test]
        fn segments_agree_with_the_reference(pat in "[ab%_]{0,8}", text in "[abAB]{0,12}") {
            let p = like_pattern(&pat);
            let chars: Vec<char> = text.chars().collect();
            prop_assert_eq!(matches(&p, &text), reference(&p, &chars), "{} {}", pat, text);
        }
    }
}
