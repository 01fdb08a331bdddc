//! A record's JSON as last rendered, kept for the next read, under one process-wide cap.

/// Bytes held by every [`RenderCache`] of the process, and the most they may hold, so a
/// client paging through a million records cannot grow the cache without bound.
static CACHED_BYTES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
const CACHE_CAP: usize = 64 << 20;

/// A record's JSON as rendered whole (no `fields`) for one API root, kept so reading it again
/// is a copy: rendering is most of the cost of a list. Emptied when the record changes.
/// One pointer: a million records hold a million of them.
#[derive(Default)]
pub(crate) struct RenderCache(once_cell::race::OnceBox<Rendered>);

/// The API root a rendering's links point at, and the JSON.
type Rendered = (Box<str>, Box<[u8]>);

impl RenderCache {
    /// The cached JSON, if it was rendered for `base`.
    pub(crate) fn get(&self, base: &str) -> Option<&[u8]> {
        self.0.get().filter(|c| &*c.0 == base).map(|c| &*c.1)
    }

    /// Keeps `json` (rendered for `base`) unless the process-wide cap is reached.
    pub(crate) fn put(&self, base: &str, json: &[u8]) {
        use std::sync::atomic::Ordering;
        if CACHED_BYTES.load(Ordering::Relaxed) + json.len() > CACHE_CAP {
            return;
        }
        if self.0.set(Box::new((base.into(), json.into()))).is_ok() {
            CACHED_BYTES.fetch_add(json.len(), Ordering::Relaxed);
        }
    }

    pub(super) fn clear(&mut self) {
        if let Some(c) = self.0.get() {
            CACHED_BYTES.fetch_sub(c.1.len(), std::sync::atomic::Ordering::Relaxed);
        }
        self.0 = once_cell::race::OnceBox::new();
    }
}

impl Drop for RenderCache {
    fn drop(&mut self) {
        self.clear();
    }
}

/// A copy starts empty: the bytes are counted once.
impl Clone for RenderCache {
    fn clone(&self) -> Self {
        Self::default()
    }
}

/// Not part of a record's data (tests compare stores by their `Debug` text).
impl std::fmt::Debug for RenderCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RenderCache")
    }
}
