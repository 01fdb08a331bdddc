//! A look at the WAL file (`PATH-wal`) before SQLite opens it.
//!
//! SQLite replays WAL frames up to the first one whose salt or cumulative checksum is wrong
//! and treats the rest as a torn tail: right for the last, unsynced transaction a crash cut,
//! but a flipped bit in an earlier frame would silently drop every transaction committed after
//! it. So: if a bad frame is followed by a commit frame of the same WAL generation (same
//! salts), committed work would be lost, and the file is refused. A damaged header in front
//! of frames is refused too (with `synchronous=FULL` SQLite syncs a new header before any frame
//! follows it, so frames behind a bad header were not torn, they were damaged).
//!
//! The format (sqlite.org/fileformat2.html#walformat): a 32-byte header (magic, version, page
//! size, checkpoint sequence, salt-1, salt-2, checksum over the first 24 bytes), then frames
//! of a 24-byte header (page number, database size after a commit or 0, salt-1, salt-2,
//! cumulative checksum) and one page.

/// Where the WAL is damaged in a way that loses committed transactions, if it is; reads
/// the file a frame at a time (a WAL can be as large as the database).
pub(crate) fn damage(mut wal: impl std::io::Read, len: u64) -> std::io::Result<Option<String>> {
    let mut header = [0u8; 32];
    if len < 32 {
        return Ok(None);
    }
    wal.read_exact(&mut header)?;
    Ok(frames(&header, wal, len))
}

fn frames(header: &[u8; 32], mut wal: impl std::io::Read, len: u64) -> Option<String> {
    let word = |b: &[u8], i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let magic = word(header, 0);
    let page = word(header, 8) as usize;
    let sane = (magic & !1) == 0x377f_0682 && page.is_power_of_two() && (512..=65536).contains(&page);
    let big_endian = magic & 1 == 1;
    let mut sum = (0u32, 0u32);
    let header_ok = sane && {
        sum = checksum(sum, &header[..24], big_endian);
        sum == (word(header, 24), word(header, 28))
    };
    if !header_ok {
        // Nothing but a header (or less): a log being started; anything more is damage.
        return (len > 32 + 24).then(|| "its header is damaged and frames follow it".to_owned());
    }
    let salts = (word(header, 16), word(header, 20));
    let frame_len = 24 + page;
    let mut frame = vec![0u8; frame_len];
    let mut bad_at = None;
    for i in 0.. {
        if wal.read_exact(&mut frame).is_err() {
            break; // the end, or a torn last frame
        }
        let frame = &frame[..];
        let same_generation = (word(frame, 8), word(frame, 12)) == salts;
        let commit = word(frame, 4) != 0;
        match bad_at {
            None => {
                sum = checksum(sum, &frame[..8], big_endian);
                sum = checksum(sum, &frame[24..], big_endian);
                if !same_generation || sum != (word(frame, 16), word(frame, 20)) {
                    bad_at = Some(32 + i * frame_len);
                }
            }
            Some(at) if same_generation && commit => {
                return Some(format!(
                    "the frame at byte offset {at} is damaged and a transaction committed after it (frame at byte \
                     offset {}) would be lost",
                    32 + i * frame_len
                ));
            }
            Some(_) => {}
        }
    }
    None
}

/// SQLite's WAL checksum: over 32-bit words, two running sums each feeding the other.
fn checksum((mut s0, mut s1): (u32, u32), bytes: &[u8], big_endian: bool) -> (u32, u32) {
    for pair in bytes.chunks_exact(8) {
        let w = |b: &[u8]| {
            let a = [b[0], b[1], b[2], b[3]];
            if big_endian { u32::from_be_bytes(a) } else { u32::from_le_bytes(a) }
        };
        s0 = s0.wrapping_add(w(&pair[..4])).wrapping_add(s1);
        s1 = s1.wrapping_add(w(&pair[4..])).wrapping_add(s0);
    }
    (s0, s1)
}
