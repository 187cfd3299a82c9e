//! `upload_media`: the `type` parameter and the size, format and duration rules (spec §4).
//!
//! The server parses the multipart body (any part with a filename, preferring `media`) and hands
//! the bytes here; the answer is the upload's facts to store, or WeCom's error code. Checks run
//! in this order: no bytes (44001), 5 bytes or fewer (40006), over the type's cap (45001, or
//! 40009/40011 for image/video), wrong format (40004), voice over 60 s (45007).

mod amr;

use std::time::Duration;

use crate::error::ErrorCode;
use crate::limit::{
    UPLOAD_FILE_MAX_BYTES, UPLOAD_IMAGE_MAX_BYTES, UPLOAD_MUST_EXCEED_BYTES,
    UPLOAD_VIDEO_MAX_BYTES, UPLOAD_VOICE_MAX_BYTES, VOICE_MAX_DURATION,
};
pub use crate::media::{ImageFormat, MediaKind};
pub use amr::MAGIC as AMR_MAGIC;

/// Which upload types the server accepts beyond WeCom's public `file` and `voice`.
///
/// `image` and `video` appear only in WeCom's internal document (spec §4.2), so they are off by
/// default; enable `image` to let `miniprogram.pic_media_id` be satisfied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UploadPolicy {
    pub allow_image: bool,
    pub allow_video: bool,
}

impl UploadPolicy {
    /// Every type enabled (WeCom's internal document).
    pub const INTERNAL: UploadPolicy = UploadPolicy {
        allow_image: true,
        allow_video: true,
    };

    /// Whether uploads of `kind` are accepted.
    pub fn allows(&self, kind: MediaKind) -> bool {
        match kind {
            MediaKind::File | MediaKind::Voice => true,
            MediaKind::Image => self.allow_image,
            MediaKind::Video => self.allow_video,
        }
    }

    /// Parses the `type` query parameter (case-sensitive).
    ///
    /// # Errors
    /// `40005 invalid file type` when it is absent, unknown or not enabled. `[U]`
    pub fn parse_type(&self, type_param: Option<&str>) -> Result<MediaKind, ErrorCode> {
        type_param
            .and_then(MediaKind::from_wire)
            .filter(|&kind| self.allows(kind))
            // [U] 40005 (不合法的type参数) for an absent, unknown or disabled upload type.
            .ok_or(ErrorCode::INVALID_FILE_TYPE)
    }
}

/// The `type` query parameter of an upload under `policy`; see [`UploadPolicy::parse_type`].
///
/// # Errors
/// `40005 invalid file type` when it is absent, unknown or not enabled.
pub fn parse_type(type_param: Option<&str>, policy: &UploadPolicy) -> Result<MediaKind, ErrorCode> {
    policy.parse_type(type_param)
}

/// What an accepted upload is, for the server to store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidUpload {
    pub kind: MediaKind,
    /// The playing time of a voice (from its AMR frames).
    pub voice_duration: Option<Duration>,
    /// The format of an image.
    pub image_format: Option<ImageFormat>,
}

impl ValidUpload {
    /// The voice duration in whole seconds, rounded up as chat clients show it (a 0.3 s voice
    /// shows as 1").
    pub fn voice_seconds(&self) -> Option<u64> {
        self.voice_duration
            .map(|d| d.as_secs() + u64::from(d.subsec_nanos() > 0))
    }
}

/// The size cap of one upload type.
pub fn max_bytes(kind: MediaKind) -> usize {
    match kind {
        MediaKind::File => UPLOAD_FILE_MAX_BYTES,
        MediaKind::Voice => UPLOAD_VOICE_MAX_BYTES,
        MediaKind::Image => UPLOAD_IMAGE_MAX_BYTES,
        MediaKind::Video => UPLOAD_VIDEO_MAX_BYTES,
    }
}

/// Validates the bytes of an upload of `kind` (already allowed by [`UploadPolicy::parse_type`]).
///
/// # Errors
/// In order: 44001 no bytes; 40006 five bytes or fewer; 45001 (file, voice), 40009 (image) or
/// 40011 (video) over the cap; 40004 not AMR / JPG or PNG / MP4; 45007 voice over 60 s.
pub fn validate_upload(kind: MediaKind, bytes: &[u8]) -> Result<ValidUpload, ErrorCode> {
    validate_upload_parts(kind, bytes.len(), bytes)
}

/// How many leading bytes [`validate_upload_parts`] needs for `kind`; `None`: all of them (a
/// voice's duration comes from every AMR frame).
pub fn head_bytes_needed(kind: MediaKind) -> Option<usize> {
    match kind {
        MediaKind::Voice => None,
        // The PNG/JPG signatures and the MP4 `ftyp` box fit in the first 16 bytes.
        MediaKind::File | MediaKind::Image | MediaKind::Video => Some(16),
    }
}

/// [`validate_upload`] for an upload held elsewhere (a server streams big files to disk): its
/// `size`, and its first bytes `head` — at least [`head_bytes_needed`] of them, or all of them
/// for a voice. Same checks, same order, same answers.
///
/// # Errors
/// As [`validate_upload`].
pub fn validate_upload_parts(
    kind: MediaKind,
    size: usize,
    head: &[u8],
) -> Result<ValidUpload, ErrorCode> {
    if size == 0 {
        return Err(ErrorCode::EMPTY_MEDIA_DATA);
    }
    if size <= UPLOAD_MUST_EXCEED_BYTES {
        // [U] 40006 (不合法的文件大小) for an upload of 5 bytes or fewer.
        return Err(ErrorCode::INVALID_MEDIA_SIZE);
    }
    if size > max_bytes(kind) {
        return Err(oversize(kind));
    }
    let mut upload = ValidUpload {
        kind,
        voice_duration: None,
        image_format: None,
    };
    match kind {
        MediaKind::File => {}
        MediaKind::Voice => {
            // [U] 40004 (不合法的媒体文件类型) for a voice that is not AMR-NB.
            let duration = amr::duration(head).ok_or(ErrorCode::INVALID_MEDIA_TYPE)?;
            if duration > VOICE_MAX_DURATION {
                // [U] 45007 (语音播放时间超过限制) for a voice over 60 s.
                return Err(ErrorCode::PLAYTIME_OUT_OF_LIMIT);
            }
            upload.voice_duration = Some(duration);
        }
        MediaKind::Image => {
            // [U] 40004 for an image upload that is not JPG or PNG.
            upload.image_format =
                Some(ImageFormat::sniff(head).ok_or(ErrorCode::INVALID_MEDIA_TYPE)?);
        }
        MediaKind::Video => {
            // [U] 40004 for a video upload without the MP4 `ftyp` box.
            if head.get(4..8) != Some(b"ftyp".as_slice()) {
                return Err(ErrorCode::INVALID_MEDIA_TYPE);
            }
        }
    }
    Ok(upload)
}

fn oversize(kind: MediaKind) -> ErrorCode {
    match kind {
        // [U] 45001 (多媒体文件大小超过限制) for a file or voice over its cap.
        MediaKind::File | MediaKind::Voice => ErrorCode::MEDIA_SIZE_OUT_OF_LIMIT,
        // [U] 40009 for an image upload over 10 MB.
        MediaKind::Image => ErrorCode::INVALID_IMAGE_SIZE,
        // [U] 40011 for a video upload over 10 MB.
        MediaKind::Video => ErrorCode::INVALID_VIDEO_SIZE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amr_frames(frames: usize) -> Vec<u8> {
        let mut bytes = AMR_MAGIC.to_vec();
        for _ in 0..frames {
            bytes.push(7 << 3 | 0b100);
            bytes.extend_from_slice(&[0_u8; 31]);
        }
        bytes
    }

    #[test]
    fn validating_size_and_head_answers_as_validating_the_whole_upload() {
        let png = b"\x89PNG\r\n\x1a\n0000000000000000".to_vec();
        let mut mp4 = b"\0\0\0\x18ftypmp42".to_vec();
        mp4.resize(64, 0);
        let cases: Vec<(MediaKind, Vec<u8>)> = vec![
            (MediaKind::File, Vec::new()),
            (MediaKind::File, b"12345".to_vec()),
            (MediaKind::File, b"123456".to_vec()),
            (MediaKind::File, vec![b'x'; UPLOAD_FILE_MAX_BYTES + 1]),
            (MediaKind::Image, png.clone()),
            (MediaKind::Image, b"GIF89a0000000000".to_vec()),
            (MediaKind::Video, mp4),
            (MediaKind::Video, png),
            (MediaKind::Voice, amr_frames(10)),
            (MediaKind::Voice, b"not amr at all".to_vec()),
        ];
        for (kind, bytes) in cases {
            let head_len = head_bytes_needed(kind)
                .unwrap_or(bytes.len())
                .min(bytes.len());
            assert_eq!(
                validate_upload_parts(kind, bytes.len(), &bytes[..head_len]),
                validate_upload(kind, &bytes),
                "{kind:?} of {} bytes",
                bytes.len()
            );
        }
    }

    #[test]
    fn file_and_voice_are_always_allowed_image_and_video_only_when_enabled() {
        let public = UploadPolicy::default();
        assert_eq!(public.parse_type(Some("file")), Ok(MediaKind::File));
        assert_eq!(public.parse_type(Some("voice")), Ok(MediaKind::Voice));
        assert_eq!(
            public.parse_type(Some("image")),
            Err(ErrorCode::INVALID_FILE_TYPE)
        );
        assert_eq!(
            public.parse_type(Some("video")),
            Err(ErrorCode::INVALID_FILE_TYPE)
        );
        assert_eq!(
            UploadPolicy::INTERNAL.parse_type(Some("image")),
            Ok(MediaKind::Image)
        );
        assert_eq!(
            parse_type(Some("video"), &UploadPolicy::INTERNAL),
            Ok(MediaKind::Video)
        );
    }

    #[test]
    fn a_missing_or_wrongly_cased_type_is_40005() {
        let policy = UploadPolicy::INTERNAL;
        for bad in [None, Some(""), Some("FILE"), Some("doc")] {
            assert_eq!(
                policy.parse_type(bad).map_err(|e| e.code()),
                Err(40005),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn no_bytes_is_44001_empty_media_data() {
        let error = validate_upload(MediaKind::File, b"").unwrap_err();
        assert_eq!((error.code(), error.text()), (44001, "empty media data"));
    }

    #[test]
    fn an_upload_must_exceed_five_bytes() {
        assert_eq!(
            validate_upload(MediaKind::File, b"12345")
                .unwrap_err()
                .code(),
            40006
        );
        assert!(validate_upload(MediaKind::File, b"123456").is_ok());
    }

    #[test]
    fn a_file_may_be_20_mib_and_not_a_byte_more() {
        let mut bytes = vec![b'x'; UPLOAD_FILE_MAX_BYTES];
        assert!(validate_upload(MediaKind::File, &bytes).is_ok());
        bytes.push(b'x');
        assert_eq!(
            validate_upload(MediaKind::File, &bytes).unwrap_err().code(),
            45001
        );
    }

    #[test]
    fn a_voice_reports_its_duration() {
        let upload = validate_upload(MediaKind::Voice, &amr_frames(51)).unwrap();
        assert_eq!(upload.voice_duration, Some(Duration::from_millis(1020)));
        assert_eq!(upload.voice_seconds(), Some(2));
    }

    #[test]
    fn a_voice_of_exactly_60_seconds_is_accepted_and_one_frame_more_is_45007() {
        assert!(validate_upload(MediaKind::Voice, &amr_frames(3000)).is_ok());
        let error = validate_upload(MediaKind::Voice, &amr_frames(3001)).unwrap_err();
        assert_eq!(
            (error.code(), error.text()),
            (45007, "playtime out of limit")
        );
    }

    #[test]
    fn a_voice_that_is_not_amr_is_40004() {
        let error = validate_upload(MediaKind::Voice, b"ID3\x04\x00\x00mp3 data").unwrap_err();
        assert_eq!(error.code(), 40004);
    }

    #[test]
    fn a_voice_over_2_mib_is_45001_before_its_format_is_read() {
        let bytes = vec![0_u8; UPLOAD_VOICE_MAX_BYTES + 1];
        assert_eq!(
            validate_upload(MediaKind::Voice, &bytes)
                .unwrap_err()
                .code(),
            45001
        );
    }

    #[test]
    fn images_must_be_jpg_or_png_and_at_most_10_mib() {
        let png = b"\x89PNG\r\n\x1a\n....";
        let upload = validate_upload(MediaKind::Image, png).unwrap();
        assert_eq!(upload.image_format, Some(ImageFormat::Png));
        assert_eq!(
            validate_upload(MediaKind::Image, b"GIF89a....")
                .unwrap_err()
                .code(),
            40004
        );
        let big = vec![0xff_u8; UPLOAD_IMAGE_MAX_BYTES + 1];
        assert_eq!(
            validate_upload(MediaKind::Image, &big).unwrap_err().code(),
            40009
        );
    }

    #[test]
    fn videos_must_be_mp4_and_at_most_10_mib() {
        assert!(validate_upload(MediaKind::Video, b"\0\0\0\x18ftypmp42....").is_ok());
        assert_eq!(
            validate_upload(MediaKind::Video, b"RIFF....AVI ")
                .unwrap_err()
                .code(),
            40004
        );
        let big = vec![0_u8; UPLOAD_VIDEO_MAX_BYTES + 1];
        assert_eq!(
            validate_upload(MediaKind::Video, &big).unwrap_err().code(),
            40011
        );
    }
}
