//! The waits of [`Inbox`]: long polls of `GET /api/v1/messages/wait`, repeated until enough
//! messages matched or the wait's own timeout passed.
//!
//! Each poll continues after the largest id the previous answers held, matching or not, so a
//! message is never missed between two polls nor counted twice. An answer holds at most 100
//! messages, so a full answer is followed by another poll at once, even past the deadline: a
//! backlog of stored messages is read to its end before a wait can time out.

use std::time::Duration;

use reqwest::Method;
use serde::Deserialize;
use tokio::time::Instant;

use super::{Inbox, InboxError, MessageFilter, MessageItem};

/// The longest single poll asked for: under the server's own cap (`--request-timeout`, 30 s by
/// default, less a margin) and under the idle timeout of common proxies (60 s).
const POLL: Duration = Duration::from_secs(25);
/// Added to a poll's HTTP timeout: the server answers at the end of the poll, plus its work.
const POLL_MARGIN: Duration = Duration::from_secs(10);
/// A poll that comes back empty this much before its time (the server capped it, or is
/// shutting down) is followed by this pause, so a wait never spins.
const EARLY_PAUSE: Duration = Duration::from_millis(100);

/// The most messages the server puts in one answer (`wait.rs`: `MAX_MESSAGES`).
const ANSWER_MAX: usize = 100;

#[derive(Deserialize)]
struct WaitAnswer {
    messages: Vec<MessageItem>,
}

impl Inbox {
    /// The first message matching `filter`, as soon as it is stored (at once if one already
    /// is).
    ///
    /// # Errors
    /// [`InboxError::TimedOut`] when none arrived within `timeout`; otherwise as
    /// [`Inbox::messages`].
    ///
    /// # Examples
    /// ```no_run
    /// use std::time::Duration;
    /// use hookpit_client::{Inbox, MessageFilter};
    /// use hookpit_client::protocol::MsgType;
    ///
    /// # async fn run() -> Result<(), hookpit_client::InboxError> {
    /// let inbox = Inbox::new("http://127.0.0.1:8765");
    /// let filter = MessageFilter::new().msgtype(MsgType::Markdown).contains("build #42");
    /// let item = inbox.wait_for(&filter, Duration::from_secs(10)).await?;
    /// assert!(item.lints.is_empty(), "WeCom would show it differently: {:?}", item.lints);
    /// # Ok(()) }
    /// ```
    pub async fn wait_for(
        &self,
        filter: &MessageFilter,
        timeout: Duration,
    ) -> Result<MessageItem, InboxError> {
        let found = self
            .wait(filter, 1, timeout, |_| true, filter.to_string())
            .await?;
        Ok(first(found))
    }

    /// The first `count` messages matching `filter`, oldest first, as soon as there are that
    /// many.
    ///
    /// # Errors
    /// [`InboxError::TimedOut`] when fewer arrived within `timeout` (with those that did in
    /// `found`); otherwise as [`Inbox::messages`].
    ///
    /// # Examples
    /// ```no_run
    /// use std::time::Duration;
    /// use hookpit_client::{Inbox, InboxError, MessageFilter};
    ///
    /// # async fn run() -> Result<(), InboxError> {
    /// let inbox = Inbox::new("http://127.0.0.1:8765");
    /// match inbox.wait_for_count(&MessageFilter::new().key("ci-key"), 3, Duration::from_secs(5)).await {
    ///     Ok(items) => assert_eq!(items.len(), 3),
    ///     Err(InboxError::TimedOut { found, .. }) => panic!("only {} arrived", found.len()),
    ///     Err(other) => return Err(other),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn wait_for_count(
        &self,
        filter: &MessageFilter,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<MessageItem>, InboxError> {
        self.wait(filter, count, timeout, |_| true, filter.to_string())
            .await
    }

    /// The first message matching `filter` for which `predicate` holds, e.g. a check of the
    /// content, the mentions or the rendered HTML that no filter expresses.
    ///
    /// # Errors
    /// [`InboxError::TimedOut`] when none arrived within `timeout`; otherwise as
    /// [`Inbox::messages`].
    ///
    /// # Examples
    /// ```no_run
    /// use std::time::Duration;
    /// use hookpit_client::{Inbox, MessageFilter};
    ///
    /// # async fn run() -> Result<(), hookpit_client::InboxError> {
    /// let inbox = Inbox::new("http://127.0.0.1:8765");
    /// let alert = inbox
    ///     .wait_until(&MessageFilter::new(), Duration::from_secs(5), |item| {
    ///         item.mentions.iter().any(|userid| userid == "zhangsan")
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn wait_until(
        &self,
        filter: &MessageFilter,
        timeout: Duration,
        predicate: impl FnMut(&MessageItem) -> bool,
    ) -> Result<MessageItem, InboxError> {
        let what = match filter.to_string().as_str() {
            "every message" => "matching the predicate".to_owned(),
            described => format!("{described}, matching the predicate"),
        };
        let found = self.wait(filter, 1, timeout, predicate, what).await?;
        Ok(first(found))
    }

    /// Polls until `count` messages pass `filter` and `predicate`, continuing after the last
    /// id each answer held.
    async fn wait(
        &self,
        filter: &MessageFilter,
        count: usize,
        timeout: Duration,
        mut predicate: impl FnMut(&MessageItem) -> bool,
        what: String,
    ) -> Result<Vec<MessageItem>, InboxError> {
        let started = Instant::now();
        let deadline = started + timeout;
        let mut after = filter.after.unwrap_or(0);
        let mut found = Vec::new();
        if count == 0 {
            return Ok(found);
        }
        loop {
            let poll = deadline.saturating_duration_since(Instant::now()).min(POLL);
            let mut query = filter.query(false);
            query.push(("after", format!("{after}")));
            query.push((
                "timeout_ms",
                u64::try_from(poll.as_millis())
                    .unwrap_or(u64::MAX)
                    .to_string(),
            ));
            let polled = Instant::now();
            let answer: WaitAnswer = self
                .call(
                    Method::GET,
                    "/api/v1/messages/wait",
                    &query,
                    poll + POLL_MARGIN,
                )
                .await?;
            let held = answer.messages.len();
            for item in answer.messages {
                after = after.max(item.id);
                if filter.matches(&item) && predicate(&item) {
                    found.push(item);
                    if found.len() == count {
                        return Ok(found);
                    }
                }
            }
            // A full answer may have left stored messages behind: past the deadline, only
            // those are still read (a steady stream of new ones must not extend the wait).
            let now = Instant::now();
            if now >= deadline && held < ANSWER_MAX {
                return Err(InboxError::TimedOut {
                    waited: now - started,
                    wanted: count,
                    found,
                    what,
                });
            }
            if held == 0 && now - polled + EARLY_PAUSE < poll {
                tokio::time::sleep(EARLY_PAUSE.min(deadline - now)).await;
            }
        }
    }
}

/// The one message of a wait for one.
fn first(found: Vec<MessageItem>) -> MessageItem {
    found
        .into_iter()
        .next()
        .unwrap_or_else(|| unreachable!("a wait for one message returns one"))
}
