//! `hookpit wait`, `hookpit messages` and `hookpit clear`: a Hookpit's stored messages, through
//! the SDK's [`Inbox`].
//!
//! Data goes to stdout (the messages, as lines or one JSON array); what a person needs to
//! understand a timeout (what else is stored, what the server refused) goes to stderr.

use hookpit_client::{Inbox, InboxError, MessageFilter, MessageItem, Rejection};

use crate::cli::{ClearArgs, FilterArgs, MessagesArgs, ServerArgs, WaitArgs};
use crate::input;
use crate::report::{ExitCode, Failure};
use crate::show::{message_line, rejection_line};

/// Lines of other messages and of refusals shown after a timeout.
const NOTE_LINES: usize = 3;

/// Runs `hookpit wait`.
pub async fn wait(args: WaitArgs) -> Result<(), Failure> {
    let inbox = inbox(&args.server)?;
    let mut filter = filter(&args.filter);
    // With --since-start, what was stored or refused before now does not count, nor is it
    // reported after a timeout.
    let mut refused_before = None;
    let start = match (args.after, args.since_start) {
        (Some(id), _) => Some(id),
        (None, true) => {
            let newest = inbox.rejections().await?.into_iter().next();
            refused_before = Some(newest.map(|rejection| rejection.at));
            Some(inbox.latest_id().await?)
        }
        (None, false) => None,
    };
    if let Some(id) = start {
        filter = filter.after(id);
    }
    let count = usize::try_from(args.count).unwrap_or(usize::MAX);
    match inbox.wait_for_count(&filter, count, args.timeout).await {
        Ok(items) => print_items(&items, args.json),
        Err(InboxError::TimedOut { found, .. }) => {
            print_items(&found, args.json)?;
            let mut failure = Failure {
                code: ExitCode::TimedOut,
                message: format!(
                    "timed out after {}: {} of {count} message{} {}arrived",
                    humantime::format_duration(args.timeout),
                    found.len(),
                    if count == 1 { "" } else { "s" },
                    match filter.to_string().as_str() {
                        "every message" => String::new(),
                        what => format!("({what}) "),
                    },
                ),
                details: Vec::new(),
                hint: None,
            };
            explain_timeout(&inbox, &mut failure, &found, start, refused_before).await;
            Err(failure)
        }
        Err(error) => Err(error.into()),
    }
}

/// Adds to a timeout what else is stored and what the server refused, best effort: a failure
/// to ask leaves the notes out, never hides the timeout. `start` is the id the wait counted
/// from; `refused_before`, with --since-start, the time of the newest refusal when the wait
/// started (`Some(None)`: there was none), so that only later refusals are told.
async fn explain_timeout(
    inbox: &Inbox,
    failure: &mut Failure,
    found: &[MessageItem],
    start: Option<i64>,
    refused_before: Option<Option<String>>,
) {
    let since = MessageFilter::new().after(start.unwrap_or(0));
    let others: Vec<MessageItem> = inbox
        .messages(&since, NOTE_LINES + 1 + found.len())
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|item| found.iter().all(|matched| matched.id != item.id))
        .collect();
    if !others.is_empty() {
        failure.details.push(if start.is_some() {
            "note: other messages stored since, newest first:".to_owned()
        } else {
            "note: other messages stored, newest first:".to_owned()
        });
        push_lines(&mut failure.details, &others, message_line);
    }
    let refused: Vec<Rejection> = inbox
        .rejections()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|rejection| match &refused_before {
            Some(Some(newest)) => rejection.at > *newest,
            _ => true,
        })
        .collect();
    if !refused.is_empty() {
        failure
            .details
            .push("note: webhook calls the server refused, newest first:".to_owned());
        push_lines(&mut failure.details, &refused, rejection_line);
        failure.hint = Some(format!(
            "a refused call gets a non-zero errcode, which senders often ignore; every refusal \
             is listed at {}/api/v1/rejections",
            inbox.base()
        ));
    } else if others.is_empty() && found.is_empty() {
        let what = match start {
            Some(id) if id > 0 => format!("nothing was stored after #{id}"),
            _ => "nothing was stored".to_owned(),
        };
        failure.hint = Some(format!(
            "{what}: is the sender posting to {}/cgi-bin/webhook/send?key=KEY (with \
             --accept-any-key, any key)?",
            inbox.base()
        ));
    }
}

/// Up to [`NOTE_LINES`] indented lines, and `…` when there were more.
fn push_lines<T>(out: &mut Vec<String>, items: &[T], line: impl Fn(&T) -> String) {
    for item in items.iter().take(NOTE_LINES) {
        out.push(format!("  {}", line(item)));
    }
    if items.len() > NOTE_LINES {
        out.push("  …".to_owned());
    }
}

/// Runs `hookpit messages`.
pub async fn messages(args: MessagesArgs) -> Result<(), Failure> {
    let inbox = inbox(&args.server)?;
    let filter = filter(&args.filter);
    let limit = usize::try_from(args.limit).unwrap_or(usize::MAX);
    // One more than asked: whether to say that there are more.
    let mut items = inbox.messages(&filter, limit.saturating_add(1)).await?;
    let more = items.len() > limit;
    items.truncate(limit);
    print_items(&items, args.json)?;
    if !args.json {
        if items.is_empty() {
            eprintln!("no messages");
        } else if more {
            eprintln!("the newest {limit} shown; more are stored (--limit N shows more)");
        }
    }
    Ok(())
}

/// Runs `hookpit clear`.
pub async fn clear(args: ClearArgs) -> Result<(), Failure> {
    let deleted = inbox(&args.server)?.clear().await?;
    if args.json {
        println!("{}", serde_json::json!({ "deleted": deleted }));
    } else {
        let plural = if deleted == 1 { "" } else { "s" };
        eprintln!("deleted {deleted} message{plural}");
    }
    Ok(())
}

/// The inbox of `--base`, with the admin token of `--admin-token` or `--admin-token-file`.
fn inbox(server: &ServerArgs) -> Result<Inbox, Failure> {
    let inbox = Inbox::new(server.base.trim());
    let token = input::admin_token(
        server.admin_token.as_deref(),
        server.admin_token_file.as_deref(),
    )?;
    Ok(match token {
        Some(token) => inbox.admin_token(token),
        None => inbox,
    })
}

fn filter(args: &FilterArgs) -> MessageFilter {
    let mut filter = MessageFilter::new();
    if let Some(key) = &args.key {
        filter = filter.key(key.trim());
    }
    if let Some(chatid) = &args.chatid {
        filter = filter.chatid(chatid);
    }
    if let Some(msgtype) = args.msgtype {
        filter = filter.msgtype(msgtype);
    }
    if let Some(text) = &args.contains {
        filter = filter.contains(text);
    }
    if let Some(userid) = &args.as_user {
        filter = filter.as_user(userid);
    }
    filter
}

/// The messages on stdout: a line each, or one JSON array with `--json` (`[]` when empty).
fn print_items(items: &[MessageItem], json: bool) -> Result<(), Failure> {
    if json {
        let text = serde_json::to_string_pretty(items)
            .map_err(|error| Failure::other(format!("cannot encode the messages: {error}")))?;
        println!("{text}");
    } else {
        for item in items {
            println!("{}", message_line(item));
        }
    }
    Ok(())
}
