//! What rendering needs from outside the message: user names, uploaded media, the picture of an
//! `image` message and the kind of chat, plus in-memory directories for tests and offline linting.

use std::collections::HashMap;

/// Everything [`crate::render`] needs besides the message itself.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// Resolves mentions to display names.
    pub users: &'a dyn UserDirectory,
    /// Resolves `media_id`s of files, voices and mini-program covers.
    pub media: &'a dyn MediaDirectory,
    /// Where the inbox can load the picture of an `image` message: a same-origin path, shown at
    /// once, or an http(s) URL, which waits for the reader like any remote picture; `None` shows
    /// a placeholder.
    pub image_url: Option<&'a str>,
    /// The kind of chat the message was delivered to (some features do not exist on blackboards).
    pub chat: ChatKind,
}

impl<'a> Context<'a> {
    /// A context that knows no users and no media, in a group chat: what `hookpit lint` uses
    /// offline. Expect `unknown_user`/`unknown_media` lints from it.
    pub fn offline() -> Context<'static> {
        Context {
            users: &NoUsers,
            media: &NoMedia,
            image_url: None,
            chat: ChatKind::Group,
        }
    }
}

impl std::fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("image_url", &self.image_url)
            .field("chat", &self.chat)
            .finish_non_exhaustive()
    }
}

/// The three kinds of chat a bot message can land in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ChatKind {
    /// A group chat (群聊).
    #[default]
    Group,
    /// A blackboard (小黑板): posts and replies; no `mentioned_list`.
    Blackboard,
    /// A single chat between the bot and one user.
    Single,
}

/// Looks users up for mentions.
pub trait UserDirectory {
    /// The name WeCom shows for `userid`, or `None` if there is no such user.
    fn display_name(&self, userid: &str) -> Option<String>;
    /// The userid of the user with this mobile number, for `mentioned_mobile_list`.
    fn userid_by_mobile(&self, mobile: &str) -> Option<String>;
}

/// Looks up uploaded media.
pub trait MediaDirectory {
    /// What is known of `media_id`, or `None` if it is unknown or expired.
    fn media(&self, media_id: &str) -> Option<MediaInfo>;
}

/// An uploaded file or voice as the inbox shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaInfo {
    /// The `filename` of the upload, shown as the file's name.
    pub filename: String,
    /// Size in bytes.
    pub size: u64,
    /// Where the inbox downloads it (a same-origin path or an http(s) URL).
    pub download_url: String,
    /// How long a voice plays, when known.
    pub voice_duration_ms: Option<u32>,
}

/// A directory with no users.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoUsers;

impl UserDirectory for NoUsers {
    fn display_name(&self, _userid: &str) -> Option<String> {
        None
    }

    fn userid_by_mobile(&self, _mobile: &str) -> Option<String> {
        None
    }
}

/// A directory with no media.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoMedia;

impl MediaDirectory for NoMedia {
    fn media(&self, _media_id: &str) -> Option<MediaInfo> {
        None
    }
}

/// Users held in memory: for tests, and for callers that load the user list once.
#[derive(Debug, Clone, Default)]
pub struct MemoryUsers {
    names: HashMap<String, String>,
    mobiles: HashMap<String, String>,
}

impl MemoryUsers {
    /// An empty directory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a user, with a mobile number if `mobile` is not empty.
    pub fn with(mut self, userid: &str, name: &str, mobile: &str) -> Self {
        self.insert(userid, name, mobile);
        self
    }

    /// Adds or replaces a user.
    pub fn insert(&mut self, userid: &str, name: &str, mobile: &str) {
        self.names.insert(userid.to_owned(), name.to_owned());
        if !mobile.is_empty() {
            self.mobiles.insert(mobile.to_owned(), userid.to_owned());
        }
    }
}

impl UserDirectory for MemoryUsers {
    fn display_name(&self, userid: &str) -> Option<String> {
        self.names.get(userid).cloned()
    }

    fn userid_by_mobile(&self, mobile: &str) -> Option<String> {
        self.mobiles.get(mobile).cloned()
    }
}

/// Media held in memory, keyed by `media_id`.
#[derive(Debug, Clone, Default)]
pub struct MemoryMedia {
    media: HashMap<String, MediaInfo>,
}

impl MemoryMedia {
    /// An empty directory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a media item.
    pub fn with(mut self, media_id: &str, info: MediaInfo) -> Self {
        self.insert(media_id, info);
        self
    }

    /// Adds or replaces a media item.
    pub fn insert(&mut self, media_id: &str, info: MediaInfo) {
        self.media.insert(media_id.to_owned(), info);
    }
}

impl MediaDirectory for MemoryMedia {
    fn media(&self, media_id: &str) -> Option<MediaInfo> {
        self.media.get(media_id).cloned()
    }
}

/// Runs `f` with a group-chat context that knows one user, `zhangsan` (张三), and no media: the
/// context most unit tests of this crate render against.
#[cfg(test)]
pub(crate) fn with_zhangsan<R>(f: impl FnOnce(&Context<'_>) -> R) -> R {
    let users = MemoryUsers::new().with("zhangsan", "张三", "");
    f(&Context {
        users: &users,
        ..Context::offline()
    })
}
