//! `chatid`: where a message goes. Up to 100 ids joined by `|`, or one of the specials
//! `@all_group`, `@all_blackboard`, `@all`; absent means `@all_group`.

use crate::error::ErrorCode;
use crate::limit::CHATID_MAX_IDS;

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

impl ChatTarget {
    /// The wire spelling: the special's name or the id itself.
    pub fn as_str(&self) -> &str {
        match self {
            ChatTarget::AllGroups => "@all_group",
            ChatTarget::AllBlackboards => "@all_blackboard",
            ChatTarget::All => "@all",
            ChatTarget::Id(id) => id,
        }
    }

    fn from_wire(id: &str) -> ChatTarget {
        match id {
            "@all_group" => ChatTarget::AllGroups,
            "@all_blackboard" => ChatTarget::AllBlackboards,
            "@all" => ChatTarget::All,
            _ => ChatTarget::Id(id.to_owned()),
        }
    }
}

/// The parsed `chatid` of a request, in the order given, duplicates removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatTargets(pub Vec<ChatTarget>);

impl ChatTargets {
    /// Parses `chatid` and enforces WeCom's 100-id cap; absent or blank means `@all_group`.
    ///
    /// Ids are counted as sent (after dropping empty pieces), before duplicates are removed.
    ///
    /// # Errors
    /// `40058 field \`chatid\` expect array size in [1, 100]. invalid Request Parameter` for more
    /// than 100 ids.
    pub fn parse(chatid: Option<&str>) -> Result<ChatTargets, ErrorCode> {
        // Counting before collecting keeps a 100 000-id chatid cheap to refuse.
        if split_ids(chatid).nth(CHATID_MAX_IDS).is_some() {
            // [U] 40058 in WeCom's array-size wording for a chatid of more than 100 ids.
            return Err(ErrorCode::array_size(40058, "chatid", 1, CHATID_MAX_IDS));
        }
        Ok(ChatTargets::parse_unchecked(chatid))
    }

    /// Parses `chatid` without the 100-id cap.
    pub fn parse_unchecked(chatid: Option<&str>) -> ChatTargets {
        let mut targets: Vec<ChatTarget> = Vec::new();
        for id in split_ids(chatid) {
            let target = ChatTarget::from_wire(id);
            if !targets.contains(&target) {
                targets.push(target);
            }
        }
        if targets.is_empty() {
            // [U] absent or blank chatid is `@all_group` ("不填则默认为@all_group"), blank too.
            targets.push(ChatTarget::AllGroups);
        }
        ChatTargets(targets)
    }

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

    /// The targets in request order.
    pub fn iter(&self) -> std::slice::Iter<'_, ChatTarget> {
        self.0.iter()
    }
}

impl<'a> IntoIterator for &'a ChatTargets {
    type Item = &'a ChatTarget;
    type IntoIter = std::slice::Iter<'a, ChatTarget>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// The pieces of a `|`-separated list (`chatid`, `visible_to_user`), trimmed, empties dropped.
pub fn split_ids(list: Option<&str>) -> impl Iterator<Item = &str> {
    list.unwrap_or_default()
        .split('|')
        .map(str::trim)
        .filter(|id| !id.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(chatid: &str) -> Vec<String> {
        ChatTargets::parse(Some(chatid))
            .unwrap()
            .iter()
            .map(|t| t.as_str().to_owned())
            .collect()
    }

    #[test]
    fn absent_or_blank_chatid_means_all_groups() {
        for chatid in [None, Some(""), Some(" | ")] {
            assert_eq!(
                ChatTargets::parse(chatid).unwrap().0,
                vec![ChatTarget::AllGroups]
            );
        }
    }

    #[test]
    fn specials_are_recognised_and_ids_kept_in_order_without_duplicates() {
        assert_eq!(
            ChatTargets::parse(Some("wrkA|@all_blackboard|zhangsan|wrkA|@all"))
                .unwrap()
                .0,
            vec![
                ChatTarget::Id("wrkA".to_owned()),
                ChatTarget::AllBlackboards,
                ChatTarget::Id("zhangsan".to_owned()),
                ChatTarget::All,
            ]
        );
    }

    #[test]
    fn specials_are_case_sensitive() {
        assert_eq!(ids("@ALL"), vec!["@ALL"]);
        assert_eq!(
            ChatTargets::parse(Some("@ALL")).unwrap().single_id(),
            Some("@ALL")
        );
    }

    #[test]
    fn one_hundred_ids_pass_and_101_are_refused() {
        let hundred: Vec<String> = (0..100).map(|i| format!("u{i}")).collect();
        assert_eq!(ids(&hundred.join("|")).len(), 100);
        let error = ChatTargets::parse(Some(&format!("{}|u100", hundred.join("|")))).unwrap_err();
        assert_eq!(error.code(), 40058);
        assert_eq!(
            error.text(),
            "field `chatid` expect array size in [1, 100]. invalid Request Parameter"
        );
    }

    #[test]
    fn single_id_is_only_for_exactly_one_plain_id() {
        let one = ChatTargets::parse(Some("wrkA")).unwrap();
        assert_eq!(one.single_id(), Some("wrkA"));
        assert!(!one.is_broadcast());
        let special = ChatTargets::parse(Some("@all")).unwrap();
        assert_eq!(special.single_id(), None);
        assert!(special.is_broadcast());
        assert_eq!(ChatTargets::parse(Some("a|b")).unwrap().single_id(), None);
    }
}
