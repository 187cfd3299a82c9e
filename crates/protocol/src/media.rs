//! Media kinds and the media ids a send request refers to.
//!
//! `upload_media` stores bytes under a kind (its `type` parameter); `file`, `voice`,
//! `miniprogram` and template cards refer to them by `media_id`. Whether an id exists, belongs to
//! the bot and is not expired only the server knows, so [`crate::ValidSend::media_needs`] lists
//! what it must look up to answer 40007.

use std::fmt;

/// The `type` of an upload, and so the kind of a stored media id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MediaKind {
    File,
    Voice,
    /// Internal/beta doc only (for `miniprogram.pic_media_id`); off unless enabled.
    Image,
    /// Internal/beta doc only; off unless enabled.
    Video,
}

impl MediaKind {
    /// Every kind, in the order of the internal document.
    pub const ALL: [MediaKind; 4] = [
        MediaKind::File,
        MediaKind::Voice,
        MediaKind::Image,
        MediaKind::Video,
    ];

    /// The wire value of the `type` parameter and of the upload reply's `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::File => "file",
            MediaKind::Voice => "voice",
            MediaKind::Image => "image",
            MediaKind::Video => "video",
        }
    }

    /// Parses a wire value, case-sensitive like every WeCom enum.
    pub fn from_wire(name: &str) -> Option<MediaKind> {
        MediaKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }
}

impl fmt::Display for MediaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The picture formats WeCom accepts, told apart by magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Jpeg,
    Png,
}

impl ImageFormat {
    /// The MIME type to serve the picture with.
    pub fn mime(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Png => "image/png",
        }
    }

    /// The format of `bytes` by its magic number: JPEG `FF D8 FF`, PNG `89 50 4E 47 0D 0A 1A 0A`.
    pub fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
        if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
            Some(ImageFormat::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageFormat::Png)
        } else {
            None
        }
    }
}

/// One media id a send request refers to, and the kind the stored media must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaNeed {
    /// Where in the request the id is, e.g. `template_card.horizontal_content_list[2].media_id`.
    pub path: String,
    /// The id as sent.
    pub media_id: String,
    /// The kind the upload must have been; `None` accepts any kind (a card attachment).
    pub kind: Option<MediaKind>,
}

impl MediaNeed {
    /// Whether media uploaded as `kind` satisfies this reference.
    pub fn accepts(&self, kind: MediaKind) -> bool {
        self.kind.is_none_or(|wanted| wanted == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_kinds_round_trip_through_their_wire_names() {
        for kind in MediaKind::ALL {
            assert_eq!(MediaKind::from_wire(kind.as_str()), Some(kind));
        }
        assert_eq!(MediaKind::from_wire("FILE"), None);
    }

    #[test]
    fn images_are_told_apart_by_magic_bytes() {
        assert_eq!(
            ImageFormat::sniff(b"\xff\xd8\xff\xe0rest"),
            Some(ImageFormat::Jpeg)
        );
        assert_eq!(
            ImageFormat::sniff(b"\x89PNG\r\n\x1a\nrest"),
            Some(ImageFormat::Png)
        );
        assert_eq!(ImageFormat::sniff(b"GIF89a"), None);
        assert_eq!(ImageFormat::sniff(b""), None);
    }

    #[test]
    fn a_card_attachment_accepts_any_kind() {
        let need = MediaNeed {
            path: "x".to_owned(),
            media_id: "m".to_owned(),
            kind: None,
        };
        assert!(MediaKind::ALL.iter().all(|&kind| need.accepts(kind)));
    }
}
