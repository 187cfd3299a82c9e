//! `chatid`: where a message goes. Up to 100 ids joined by `|`, or one of the specials
//! `@all_group`, `@all_blackboard`, `@all`; absent means `@all_group`.

/// One parsed target of `chatid`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ChatTarget {
    /// `@all_group`: every group the bot is in (and, for text, its blackboards).
    AllGroups,
    /// `@all_blackboard`: every blackboard the bot is in.
    AllBlackboards,
    /// `@all`: every group and every blackboard.
    All,
    /// A group, blackboard or single-chat id, or a userid; only the store can tell which.
    Id(String),
}

/// The parsed `chatid` of a request, in the order given, duplicates removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatTargets(pub Vec<ChatTarget>);

impl ChatTargets {
    /// The one id when `chatid` names exactly one conversation (the condition under which
    /// `post_id` and `visible_to_user` take effect); `None` for several ids or a special.
    pub fn single_id(&self) -> Option<&str> {
        match self.0.as_slice() {
            [ChatTarget::Id(id)] => Some(id),
            _ => None,
        }
    }

    /// Whether any target is a broadcast special.
    pub fn is_broadcast(&self) -> bool {
        self.0.iter().any(|t| !matches!(t, ChatTarget::Id(_)))
    }
}
