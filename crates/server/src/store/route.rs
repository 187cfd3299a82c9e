//! Routing a send request's `chatid` to the chats it reaches, by WeCom's rules, inside the
//! writer's transaction (see `deliver.rs`).
//!
//! Rules (spec §2.1, official document):
//! - Broadcasts ([`broadcast_kinds`]), per the document's wording for each type: `@all_group`
//!   reaches the bot's groups, plus its blackboards for `text`; `@all` reaches groups and
//!   blackboards for `text` and `markdown`, groups only for the other types; `@all_blackboard`
//!   reaches its blackboards. Blackboards take only text, markdown and image.
//! - A group or blackboard id: the bot must be in it (else 93008 [U]); a type blackboards do
//!   not take is 40008 [U], with or without `post_id`.
//! - A single-chat id or a userid: allowed if the user is in the bot's subscription scope, or
//!   has opened a single chat with it and fewer than 3 proactive messages were sent since
//!   (else 93005).
//! - An unknown id: 93008 [U]; in sandbox mode it becomes a new group of the bot.
//! - A broadcast that reaches nothing: 93000 if the bot is in no group or blackboard at all
//!   (spec §1.3: "机器人已经被移除出群" is an invalid webhook URL), else 93008 [U].

use std::collections::HashSet;

use crate::store::db::{Connection, OptionalExtension};
use hookpit_protocol::{ChatTarget, ErrorCode, MsgType};

use super::deliver::Delivery;
use super::{StoreError, bots, chats, single_chat, users};
use crate::domain::ChatKind;

/// One chat a request reaches.
pub(super) struct Target {
    pub chatid: String,
    pub kind: ChatKind,
    /// The user of a single chat (only they see it); empty otherwise.
    pub audience: String,
}

/// A refusal by WeCom's rules: nothing of the request is stored.
pub(super) fn refuse(code: ErrorCode) -> StoreError {
    StoreError::Refused(code)
}

/// The chats `delivery` reaches, each once, in request order.
///
/// # Errors
/// [`StoreError::Refused`] with the errcode WeCom answers when a target is refused.
pub(super) fn route(conn: &Connection, delivery: &Delivery) -> Result<Vec<Target>, StoreError> {
    let msgtype = delivery.send.msgtype();
    let mut targets = Vec::new();
    // Each target names distinct chats (an id, or the bot's chats of the kinds a special
    // reaches: a chat is of one kind); only two or more may name a chat twice.
    let lists = delivery.send.targets.iter().len();
    for target in delivery.send.targets.iter() {
        if let ChatTarget::Id(id) = target {
            targets.push(route_id(conn, delivery, id)?);
            continue;
        }
        for &kind in broadcast_kinds(target, msgtype) {
            let chats = bot_chats(conn, &delivery.bot_id, kind)?;
            targets.reserve(chats.len());
            targets.extend(chats.iter().map(|chatid| Target {
                chatid: chatid.clone(),
                kind,
                audience: String::new(),
            }));
        }
    }
    if lists > 1 {
        let mut seen = HashSet::with_capacity(targets.len());
        targets.retain(|target| seen.insert(target.chatid.clone()));
    }
    if targets.is_empty() {
        // Spec §1.3 [C]: a bot removed from its group(s) has an invalid webhook URL.
        if !in_any_chat(conn, &delivery.bot_id)? {
            return Err(refuse(ErrorCode::INVALID_WEBHOOK_URL));
        }
        // [U] 93008: the bot is in no chat the request could reach.
        return Err(refuse(ErrorCode::ROBOT_NOT_IN_CHAT));
    }
    Ok(targets)
}

/// Whether the bot is in any group or blackboard (single chats do not count).
fn in_any_chat(conn: &Connection, bot_id: &str) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM bot_chats b JOIN chats c ON c.chatid = b.chatid
             WHERE b.bot_id = ?1 AND c.kind <> 'single' LIMIT 1",
        )?
        .query_row([bot_id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The kinds of chat a broadcast special reaches with a message of `msgtype`: the official
/// document's wording for each type. text: "@all_group 表示对所有群和小黑板广播"; text and
/// markdown: "@all 表示对所有群和所有小黑板广播"; image, news, markdown_v2: "@all 表示对所有群广播";
/// markdown: "@all_blackboard 表示对所有小黑板广播". Never a kind that does not take the type.
fn broadcast_kinds(target: &ChatTarget, msgtype: MsgType) -> &'static [ChatKind] {
    const GROUPS: &[ChatKind] = &[ChatKind::Group];
    const BOTH: &[ChatKind] = &[ChatKind::Group, ChatKind::Blackboard];
    const BLACKBOARDS: &[ChatKind] = &[ChatKind::Blackboard];
    match target {
        ChatTarget::AllGroups if msgtype == MsgType::Text => BOTH,
        ChatTarget::AllGroups => GROUPS,
        ChatTarget::All if matches!(msgtype, MsgType::Text | MsgType::Markdown) => BOTH,
        ChatTarget::All => GROUPS,
        // [U] @all_blackboard for a type other than markdown (documented only there): its
        // blackboards when the type may be posted on one (text, image), nothing otherwise.
        ChatTarget::AllBlackboards if msgtype.supports_blackboard() => BLACKBOARDS,
        // Not a broadcast: ids are routed one by one (`route_id`).
        ChatTarget::AllBlackboards | ChatTarget::Id(_) => &[],
    }
}

fn route_id(conn: &Connection, delivery: &Delivery, id: &str) -> Result<Target, StoreError> {
    let msgtype = delivery.send.msgtype();
    let (kind, bot_in_chat) = match kind_and_membership(conn, &delivery.bot_id, id)? {
        Some((kind, member)) => (Some(kind), member),
        None => (None, false),
    };
    match kind {
        Some(kind @ (ChatKind::Group | ChatKind::Blackboard)) => {
            if !bot_in_chat {
                return Err(refuse(ErrorCode::ROBOT_NOT_IN_CHAT));
            }
            if !kind.accepts(msgtype) {
                // [U] 40008: the official document says the type "cannot be sent to a blackboard".
                return Err(refuse(ErrorCode::INVALID_MESSAGE_TYPE));
            }
            Ok(Target {
                chatid: id.to_owned(),
                kind,
                audience: String::new(),
            })
        }
        Some(ChatKind::Single) => {
            match single_chat::single_chat(conn, &delivery.bot_id, None, Some(id))? {
                Some(chat) => permit_single(conn, delivery, &chat.userid),
                None => Err(refuse(ErrorCode::ROBOT_NOT_IN_CHAT)),
            }
        }
        None if users::get(conn, id)?.is_some() => permit_single(conn, delivery, id),
        None if delivery.sandbox => {
            chats::insert(conn, ChatKind::Group, id, id, &[], delivery.now)?;
            bots::join(conn, &delivery.bot_id, id)?;
            // The bot's chats remembered for broadcasts ([`bot_chats`]) are one short now.
            super::writer::routes_may_change();
            Ok(Target {
                chatid: id.to_owned(),
                kind: ChatKind::Group,
                audience: String::new(),
            })
        }
        // [U] 93008 for an id that is no chat and no user.
        None => Err(refuse(ErrorCode::ROBOT_NOT_IN_CHAT)),
    }
}

/// Whether the bot may message `userid` in a single chat; spends one proactive message if the
/// user is not in the subscription scope.
fn permit_single(
    conn: &Connection,
    delivery: &Delivery,
    userid: &str,
) -> Result<Target, StoreError> {
    let target = |chatid: String| Target {
        chatid,
        kind: ChatKind::Single,
        audience: userid.to_owned(),
    };
    if bots::is_subscribed(conn, &delivery.bot_id, userid)? {
        let chat = single_chat::ensure_single_chat(conn, &delivery.bot_id, userid, delivery.now)?;
        return Ok(target(chat.chatid));
    }
    match single_chat::single_chat(conn, &delivery.bot_id, Some(userid), None)? {
        // [U] A passive reply answers the person's own message: it spends no proactive message.
        Some(chat) if delivery.passive => Ok(target(chat.chatid)),
        Some(chat) if chat.quota_remaining > 0 => {
            single_chat::set_quota(conn, &chat.chatid, chat.quota_remaining - 1)?;
            Ok(target(chat.chatid))
        }
        _ => Err(refuse(ErrorCode::SINGLE_CHAT_NOT_ALLOWED)),
    }
}

/// The kind of chat `chatid` is (`None`: no chat) and whether the bot is in it, in one query:
/// a send to one chat asks both, and as two statements they were 9% of the writer's time.
///
/// On the writer thread the answers found are remembered while [`super::writer::routes_epoch`]
/// holds, i.e. for the rest of a batch of deliveries: a batch of sends to one chat asks once.
/// On PostgreSQL every statement is a round trip to the server, and this one was one of three
/// per message.
fn kind_and_membership(
    conn: &Connection,
    bot_id: &str,
    chatid: &str,
) -> Result<Option<(ChatKind, bool)>, StoreError> {
    let epoch = super::writer::routes_epoch();
    if let Some(epoch) = epoch {
        let known = ROUTES.with_borrow_mut(|memo| {
            memo.at(epoch)
                .found
                .iter()
                .find(|(bot, chat, _)| bot == bot_id && chat == chatid)
                .map(|(_, _, found)| *found)
        });
        if let Some(found) = known {
            return Ok(Some(found));
        }
    }
    let found: Option<(String, bool)> = conn
        .prepare_cached(
            "SELECT c.kind, EXISTS (SELECT 1 FROM bot_chats b WHERE b.bot_id = ?1 AND b.chatid = ?2)
             FROM chats c WHERE c.chatid = ?2",
        )?
        .query_row([bot_id, chatid], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let found = found.and_then(|(kind, member)| Some((ChatKind::parse(&kind)?, member)));
    // Only what exists: a chat that does not may be made by this very batch (sandbox mode).
    if let (Some(epoch), Some(found)) = (epoch, found) {
        ROUTES.with_borrow_mut(|memo| {
            let memo = memo.at(epoch);
            if memo.found.len() >= MAX_REMEMBERED_ROUTES {
                memo.found.clear();
            }
            memo.found
                .push((bot_id.to_owned(), chatid.to_owned(), found));
        });
    }
    Ok(found)
}

/// (bot, chat) pairs a batch remembers at most: a short list, searched in order.
const MAX_REMEMBERED_ROUTES: usize = 32;

/// The writer thread's memo of [`kind_and_membership`] and [`bot_chats`], good while the
/// routes epoch is `epoch`.
#[derive(Default)]
struct RouteMemo {
    epoch: u64,
    found: Vec<(String, String, (ChatKind, bool))>,
    /// A bot's chats of a kind: (bot, kind, chats).
    chats: Vec<(String, ChatKind, std::rc::Rc<[String]>)>,
}

impl RouteMemo {
    /// The memo for `epoch`, emptied if it was another's.
    fn at(&mut self, epoch: u64) -> &mut RouteMemo {
        if self.epoch != epoch {
            self.epoch = epoch;
            self.found.clear();
            self.chats.clear();
        }
        self
    }
}

thread_local! {
    /// Filled only on a writer thread (one per store, so one database per memo).
    static ROUTES: std::cell::RefCell<RouteMemo> = std::cell::RefCell::default();
}

/// The chats of `kind` the bot is in, in chat id order: the targets of a broadcast.
///
/// On the writer thread they are remembered while [`super::writer::routes_epoch`] holds, as
/// [`kind_and_membership`]'s answers are: the query joins every chat of the bot, 12% of the
/// writer's time on a broadcast to 100 groups. A delivery that adds the bot to a chat (sandbox
/// mode, [`route_id`]) moves the epoch.
fn bot_chats(
    conn: &Connection,
    bot_id: &str,
    kind: ChatKind,
) -> Result<std::rc::Rc<[String]>, StoreError> {
    let epoch = super::writer::routes_epoch();
    if let Some(epoch) = epoch {
        let known = ROUTES.with_borrow_mut(|memo| {
            memo.at(epoch)
                .chats
                .iter()
                .find(|(bot, known_kind, _)| bot == bot_id && *known_kind == kind)
                .map(|(_, _, chats)| std::rc::Rc::clone(chats))
        });
        if let Some(chats) = known {
            return Ok(chats);
        }
    }
    let mut statement = conn.prepare_cached(
        "SELECT b.chatid FROM bot_chats b JOIN chats c ON c.chatid = b.chatid
         WHERE b.bot_id = ?1 AND c.kind = ?2 ORDER BY b.chatid",
    )?;
    let rows = statement.query_map([bot_id, kind.as_str()], |row| row.get(0))?;
    let chats: std::rc::Rc<[String]> = rows.collect::<Result<Vec<String>, _>>()?.into();
    if let Some(epoch) = epoch {
        ROUTES.with_borrow_mut(|memo| {
            let memo = memo.at(epoch);
            if memo.chats.len() >= MAX_REMEMBERED_ROUTES {
                memo.chats.clear();
            }
            memo.chats
                .push((bot_id.to_owned(), kind, std::rc::Rc::clone(&chats)));
        });
    }
    Ok(chats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sandbox_delivery(body: &str) -> Delivery {
        Delivery::for_test(body, true)
    }

    /// Within one batch the bot's chats are remembered for broadcasts; a sandbox send that adds
    /// the bot to a new group makes the next broadcast reach it too.
    #[tokio::test]
    async fn a_broadcast_after_a_sandbox_send_to_a_new_chat_reaches_that_chat() {
        let dir = tempfile::tempdir().unwrap();
        let store = super::super::Store::open(dir.path(), crate::config::SyncMode::Normal).unwrap();
        let reached = store
            .write(|conn| {
                let bot = crate::domain::NewBot {
                    name: "bot".to_owned(),
                    key: Some("k".to_owned()),
                    chats: Vec::new(),
                    subscription: Vec::new(),
                };
                super::super::bots::insert(conn, "b", &bot, 1)?;
                chats::insert(conn, ChatKind::Group, "g1", "g1", &[], 1)?;
                super::super::bots::join(conn, "b", "g1")?;
                let broadcast =
                    r#"{"chatid":"@all_group","msgtype":"markdown","markdown":{"content":"x"}}"#;
                let chatids = |targets: Vec<Target>| -> Vec<String> {
                    targets.into_iter().map(|target| target.chatid).collect()
                };
                let before = chatids(route(conn, &sandbox_delivery(broadcast))?);
                let to_new = r#"{"chatid":"g2","msgtype":"markdown","markdown":{"content":"x"}}"#;
                route(conn, &sandbox_delivery(to_new))?;
                let after = chatids(route(conn, &sandbox_delivery(broadcast))?);
                Ok((before, after))
            })
            .await
            .unwrap();
        assert_eq!(reached.0, ["g1"]);
        assert_eq!(reached.1, ["g1", "g2"]);
        store.close().await.unwrap();
    }

    #[test]
    fn each_special_reaches_the_kinds_the_document_names_for_the_type() {
        use ChatKind::{Blackboard, Group};
        let reach = |target: ChatTarget, msgtype| broadcast_kinds(&target, msgtype).to_vec();
        assert_eq!(
            reach(ChatTarget::AllGroups, MsgType::Text),
            [Group, Blackboard]
        );
        assert_eq!(reach(ChatTarget::AllGroups, MsgType::Markdown), [Group]);
        assert_eq!(
            reach(ChatTarget::All, MsgType::Markdown),
            [Group, Blackboard]
        );
        assert_eq!(reach(ChatTarget::All, MsgType::Image), [Group]);
        assert_eq!(reach(ChatTarget::All, MsgType::MarkdownV2), [Group]);
        assert_eq!(
            reach(ChatTarget::AllBlackboards, MsgType::Image),
            [Blackboard]
        );
        assert!(reach(ChatTarget::AllBlackboards, MsgType::News).is_empty());
        // Every kind reached takes the type.
        for msgtype in MsgType::ALL {
            for target in [
                ChatTarget::AllGroups,
                ChatTarget::All,
                ChatTarget::AllBlackboards,
            ] {
                assert!(
                    broadcast_kinds(&target, msgtype)
                        .iter()
                        .all(|kind| kind.accepts(msgtype)),
                    "{target:?} {msgtype}"
                );
            }
        }
    }
}
