//! The append-only log `PATH.log`: a 16-byte header (magic and the snapshot generation it
//! continues) and then frames, each `[len: u32 LE][check: u64 LE][len bytes of JSON]`, where
//! `check` is the first 8 bytes of SHA-256 over the length and the payload.
//!
//! A frame is appended with one `write` and made durable by `fdatasync` before the write it
//! records is answered. Durability is group-committed: a writer waits for the log to be synced
//! past its own frame, and one `fdatasync` covers every frame appended before it started, so
//! concurrent writers share syncs instead of queueing one per write.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use sha2::{Digest, Sha256};

const MAGIC: &[u8; 8] = b"CWMLOG\x00\x01";
/// Header bytes: magic and generation.
pub(crate) const HEADER: u64 = 16;
/// Frame overhead: length and check.
const FRAME_HEAD: usize = 12;

fn check(len: [u8; 4], payload: &[u8]) -> u64 {
    let mut h = Sha256::new();
    h.update(len);
    h.update(payload);
    let d = h.finalize();
    u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}

/// One frame around `payload`.
pub(crate) fn frame(payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX).to_le_bytes();
    let mut out = Vec::with_capacity(FRAME_HEAD + payload.len());
    out.extend_from_slice(&len);
    out.extend_from_slice(&check(len, payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// What a log file holds.
#[derive(Debug)]
pub(crate) struct Scan<'a> {
    pub(crate) generation: u64,
    /// Every complete, intact frame's payload, with its byte offset.
    pub(crate) frames: Vec<(u64, &'a [u8])>,
    /// Where the intact part ends; bytes after it are a torn or corrupt tail.
    pub(crate) good_len: u64,
}

/// Reads a log file's bytes; `None` if it is not a log file at all.
pub(crate) fn scan(bytes: &[u8]) -> Option<Scan<'_>> {
    let header = bytes.get(..16)?;
    if &header[..8] != MAGIC {
        return None;
    }
    let mut gen_bytes = [0u8; 8];
    gen_bytes.copy_from_slice(&header[8..16]);
    let generation = u64::from_le_bytes(gen_bytes);
    let mut frames = Vec::new();
    let mut at = 16usize;
    while let Some(head) = bytes.get(at..at + FRAME_HEAD) {
        let len = [head[0], head[1], head[2], head[3]];
        let mut want = [0u8; 8];
        want.copy_from_slice(&head[4..12]);
        let start = at + FRAME_HEAD;
        let Some(payload) = bytes.get(start..start + u32::from_le_bytes(len) as usize) else { break };
        if check(len, payload) != u64::from_le_bytes(want) {
            break;
        }
        frames.push((at as u64, payload));
        at = start + payload.len();
    }
    Some(Scan { generation, frames, good_len: at as u64 })
}

/// `PATH.log` open for appending, with group commit.
#[derive(Debug)]
pub(crate) struct Wal {
    path: PathBuf,
    inner: Mutex<Inner>,
    /// How far (in bytes ever appended, across generations) the log is known durable.
    synced: Mutex<u64>,
}

#[derive(Debug)]
struct Inner {
    file: Arc<File>,
    /// Bytes in the current file.
    len: u64,
    /// Bytes ever appended: the position a writer waits for.
    appended: u64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Wal {
    /// Opens an existing log whose intact part is `good_len` bytes, cutting off anything after.
    pub(crate) fn open(path: &Path, good_len: u64) -> std::io::Result<Self> {
        let file = std::fs::OpenOptions::new().read(true).write(true).open(path)?;
        if file.metadata()?.len() != good_len {
            file.set_len(good_len)?;
            file.sync_all()?;
        }
        let file = std::fs::OpenOptions::new().append(true).open(path)?;
        let inner = Inner { file: Arc::new(file), len: good_len, appended: 0 };
        Ok(Self { path: path.to_owned(), inner: Mutex::new(inner), synced: Mutex::new(0) })
    }

    /// Writes a fresh, empty log of `generation` next to `path` and renames it into place.
    pub(crate) fn create(path: &Path, generation: u64) -> std::io::Result<Self> {
        write_empty(path, generation)?;
        Self::open(path, HEADER)
    }

    /// Appends one frame; returns the position to wait for with [`Wal::sync`].
    pub(crate) fn append(&self, frame: &[u8]) -> std::io::Result<u64> {
        let mut inner = lock(&self.inner);
        (&*inner.file).write_all(frame)?;
        inner.len += frame.len() as u64;
        inner.appended += frame.len() as u64;
        Ok(inner.appended)
    }

    /// Returns once everything up to `position` is on disk; one sync serves every writer
    /// waiting at that moment.
    pub(crate) fn sync(&self, position: u64) -> std::io::Result<()> {
        let mut synced = lock(&self.synced);
        if *synced >= position {
            return Ok(());
        }
        let (file, target) = {
            let inner = lock(&self.inner);
            (Arc::clone(&inner.file), inner.appended)
        };
        file.sync_data()?;
        *synced = target;
        Ok(())
    }

    /// Bytes in the current log file.
    pub(crate) fn len(&self) -> u64 {
        lock(&self.inner).len
    }

    /// Starts generation `generation` with an empty log: everything appended so far is in
    /// the snapshot just written, so it counts as durable. The caller holds the state lock,
    /// so nothing is appended meanwhile.
    pub(crate) fn restart(&self, generation: u64) -> std::io::Result<()> {
        let mut synced = lock(&self.synced);
        let mut inner = lock(&self.inner);
        write_empty(&self.path, generation)?;
        inner.file = Arc::new(std::fs::OpenOptions::new().append(true).open(&self.path)?);
        inner.len = HEADER;
        *synced = inner.appended;
        Ok(())
    }
}

fn write_empty(path: &Path, generation: u64) -> std::io::Result<()> {
    let mut header = Vec::with_capacity(16);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&generation.to_le_bytes());
    super::replace_file(path, |f| f.write_all(&header))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(frames: &[&[u8]]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&7u64.to_le_bytes());
        for f in frames {
            out.extend(frame(f));
        }
        out
    }

    #[test]
    fn every_intact_frame_is_read_back_in_order() {
        let bytes = log(&[b"one", b"", b"three"]);
        let s = scan(&bytes).unwrap();
        assert_eq!(s.generation, 7);
        assert_eq!(s.frames.iter().map(|f| f.1).collect::<Vec<_>>(), [&b"one"[..], b"", b"three"]);
        assert_eq!(s.good_len, bytes.len() as u64);
    }

    #[test]
    fn a_log_cut_anywhere_keeps_exactly_the_frames_before_the_cut() {
        let bytes = log(&[b"alpha", b"beta", b"gamma"]);
        let ends: Vec<u64> = scan(&bytes).unwrap().frames.iter().map(|(o, p)| o + 12 + p.len() as u64).collect();
        for cut in 16..bytes.len() {
            let s = scan(&bytes[..cut]).unwrap();
            let complete = ends.iter().filter(|&&e| e <= cut as u64).count();
            assert_eq!(s.frames.len(), complete, "cut at {cut}");
            assert_eq!(s.good_len, if complete == 0 { 16 } else { ends[complete - 1] });
        }
    }

    #[test]
    fn a_flipped_byte_ends_the_log_at_that_frame() {
        let mut bytes = log(&[b"alpha", b"beta", b"gamma"]);
        let second = scan(&bytes).unwrap().frames[1].0 as usize;
        bytes[second + 13] ^= 0x20;
        let s = scan(&bytes).unwrap();
        assert_eq!(s.frames.len(), 1);
        assert_eq!(s.good_len, second as u64);
    }

    #[test]
    fn a_file_that_is_not_a_log_is_refused() {
        assert!(scan(b"{\"format\": \"json\"}").is_none());
        assert!(scan(b"CWMLOG").is_none());
    }
}
