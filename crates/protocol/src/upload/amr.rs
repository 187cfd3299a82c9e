//! AMR-NB duration from the frame headers of a `#!AMR\n` file (RFC 4867 §5, storage format).
//!
//! Each frame starts with a one-byte header `P FT(4) Q P P`; the frame type FT fixes the frame's
//! size, and every frame covers 20 ms whatever its type. Counting frames is exact and needs no
//! decoding.

use std::time::Duration;

use crate::limit::AMR_FRAME_DURATION;

/// The magic at the start of every single-channel AMR-NB file.
pub const MAGIC: &[u8] = b"#!AMR\n";

/// Total frame size in bytes, header included, for each frame type 0..=15: the eight speech modes
/// (4.75 to 12.2 kbit/s), SID, then the other SIDs, reserved types and NO_DATA which carry no
/// payload in storage. Same table as FFmpeg's `amrnbdec`, so files it plays are accepted.
// [U] FFmpeg's table, and a truncated last frame counts: accept what players play.
const FRAME_SIZE: [usize; 16] = [13, 14, 16, 18, 20, 21, 27, 32, 6, 1, 1, 1, 1, 1, 1, 1];

/// The playing time of an AMR-NB file (20 ms per frame), or `None` without the `#!AMR\n` magic.
///
/// A truncated last frame is counted, as players play what they have.
pub fn duration(bytes: &[u8]) -> Option<Duration> {
    let mut rest = bytes.strip_prefix(MAGIC)?;
    let mut frames: u32 = 0;
    while let Some(&header) = rest.first() {
        let frame_type = usize::from((header >> 3) & 0x0f);
        frames = frames.saturating_add(1);
        rest = rest.get(FRAME_SIZE[frame_type]..).unwrap_or_default();
    }
    Some(AMR_FRAME_DURATION.saturating_mul(frames))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An AMR file of `frames` frames of mode 7 (12.2 kbit/s, 32 bytes each).
    fn amr_122(frames: usize) -> Vec<u8> {
        let mut bytes = MAGIC.to_vec();
        for _ in 0..frames {
            bytes.push(7 << 3 | 0b100);
            bytes.extend_from_slice(&[0_u8; 31]);
        }
        bytes
    }

    #[test]
    fn fifty_frames_play_for_one_second() {
        assert_eq!(duration(&amr_122(50)), Some(Duration::from_secs(1)));
    }

    #[test]
    fn mixed_frame_types_each_count_20_ms() {
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // mode 0: 13 bytes
        bytes.extend_from_slice(&[8 << 3, 0, 0, 0, 0, 0]); // SID: 6 bytes
        bytes.push(15 << 3); // NO_DATA: 1 byte
        assert_eq!(duration(&bytes), Some(Duration::from_millis(60)));
    }

    #[test]
    fn a_file_with_only_the_magic_lasts_zero() {
        assert_eq!(duration(MAGIC), Some(Duration::ZERO));
    }

    #[test]
    fn a_truncated_last_frame_still_counts() {
        let mut bytes = amr_122(2);
        bytes.truncate(bytes.len() - 10);
        assert_eq!(duration(&bytes), Some(Duration::from_millis(40)));
    }

    #[test]
    fn amr_wb_is_not_amr_nb() {
        assert_eq!(duration(b"#!AMR-WB\n\x00"), None);
    }
}
