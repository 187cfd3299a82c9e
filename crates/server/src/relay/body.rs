//! What goes upstream: the request's own bytes with media ids swapped for the upstream's (the
//! media uploaded there first, once), or the body merged from a held-back queue.

use std::collections::HashMap;
use std::time::Duration;

use hookpit_protocol::{MediaKind, parse_send};
use serde_json::Value;

use super::upstream::{Outcome, Upstream};
use crate::app::AppState;
use crate::domain::{OutboxRecord, RelayConfig, RelayJob};

/// WeCom keeps an uploaded media id this long.
const MEDIA_TTL: Duration = hookpit_protocol::limit::MEDIA_TTL;

/// `record`'s body merged with those of the first `followers` that can join it, and which
/// followers those are; `None` when none can (the record then goes alone, as it came).
pub(super) async fn merged_body(
    state: &AppState,
    record: &OutboxRecord,
    followers: Vec<OutboxRecord>,
) -> Option<(Vec<u8>, Vec<OutboxRecord>)> {
    if followers.is_empty() {
        return None;
    }
    let mut bodies = Vec::with_capacity(followers.len() + 1);
    for entry in std::iter::once(record).chain(&followers) {
        let job: RelayJob = serde_json::from_value(entry.item.clone()).ok()?;
        match state.store.raw_request(&job.request_id).await {
            Ok(Some(raw)) => bodies.push(raw),
            // A deleted or unreadable one ends the run: what comes after it waits its turn.
            _ => break,
        }
    }
    let merged = super::merge::merge(&bodies)?;
    let carried = followers.into_iter().take(merged.count - 1).collect();
    Some((merged.body, carried))
}

/// The body to forward: the request's own bytes, with any media id replaced by the one the
/// upstream gave when the media was uploaded there.
pub(super) async fn forwarded_body(
    state: &AppState,
    upstream: &Upstream<'_>,
    config: &RelayConfig,
    record: &OutboxRecord,
) -> Result<Vec<u8>, Outcome> {
    let gone = |why: &str| Outcome::Permanent {
        errcode: None,
        errmsg: why.to_owned(),
        http_status: None,
    };
    let job: RelayJob = serde_json::from_value(record.item.clone())
        .map_err(|_| gone("the queued entry is unreadable"))?;
    let raw = match state.store.raw_request(&job.request_id).await {
        Ok(Some(raw)) => raw,
        Ok(None) => return Err(gone("the message was deleted before it was forwarded")),
        Err(error) => {
            return Err(Outcome::Transient {
                errcode: None,
                errmsg: format!("cannot read the message: {error}"),
                http_status: None,
                slow_down: false,
            });
        }
    };
    let Ok(send) = parse_send(&raw) else {
        return Ok(raw);
    };
    let needs = send.media_needs();
    if needs.is_empty() {
        return Ok(raw);
    }
    let mut replaced: HashMap<String, String> = HashMap::new();
    for need in needs {
        if replaced.contains_key(&need.media_id) {
            continue;
        }
        let id = upstream_media(state, upstream, config, &need.media_id, need.kind).await?;
        replaced.insert(need.media_id, id);
    }
    let mut body: Value = serde_json::from_slice(&raw).map_err(|_| gone("unreadable body"))?;
    swap_media_ids(&mut body, &replaced);
    Ok(serde_json::to_vec(&body).unwrap_or(raw))
}

/// The upstream's media id of `media_id`: remembered, or uploaded now.
async fn upstream_media(
    state: &AppState,
    upstream: &Upstream<'_>,
    config: &RelayConfig,
    media_id: &str,
    wanted: Option<MediaKind>,
) -> Result<String, Outcome> {
    let now = state.clock.now_millis();
    let store_failed = |error: crate::store::StoreError| Outcome::Transient {
        errcode: None,
        errmsg: format!("the store failed: {error}"),
        http_status: None,
        slow_down: false,
    };
    if let Some(id) = state
        .store
        .relayed_media(&config.upstream, media_id, now)
        .await
        .map_err(store_failed)?
    {
        return Ok(id);
    }
    let Some(media) = state
        .store
        .get_media(media_id)
        .await
        .map_err(store_failed)?
    else {
        return Err(Outcome::Permanent {
            errcode: None,
            errmsg: format!("media {media_id} is not stored any more"),
            http_status: None,
        });
    };
    let bytes = state
        .store
        .media_bytes(media_id)
        .await
        .map_err(|error| Outcome::Permanent {
            errcode: None,
            errmsg: format!("media {media_id} cannot be read: {error}"),
            http_status: None,
        })?
        .ok_or_else(|| Outcome::Permanent {
            errcode: None,
            errmsg: format!("media {media_id} is not stored any more"),
            http_status: None,
        })?;
    let kind = wanted.unwrap_or(media.kind);
    let id = upstream.upload(kind, &media.filename, bytes).await?;
    // Kept a little less than WeCom's 3 days, so it is never used just as it expires.
    let ttl = i64::try_from(MEDIA_TTL.as_millis()).unwrap_or(i64::MAX) - 3_600_000;
    state
        .store
        .remember_relayed_media(&config.upstream, media_id, &id, now.saturating_add(ttl))
        .await
        .map_err(store_failed)?;
    Ok(id)
}

/// Replaces every `media_id` / `pic_media_id` value found in `replaced`.
fn swap_media_ids(value: &mut Value, replaced: &HashMap<String, String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                match value {
                    Value::String(id) if key == "media_id" || key == "pic_media_id" => {
                        if let Some(new) = replaced.get(id.as_str()) {
                            *id = new.clone();
                        }
                    }
                    other => swap_media_ids(other, replaced),
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| swap_media_ids(item, replaced)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn media_ids_are_swapped_wherever_they_are() {
        let mut body = json!({"msgtype": "template_card", "template_card": {
            "horizontal_content_list": [{"type": 2, "media_id": "local"}]}, "file": {"media_id": "other"}});
        let replaced = HashMap::from([("local".to_owned(), "upstream".to_owned())]);
        swap_media_ids(&mut body, &replaced);
        assert_eq!(
            body["template_card"]["horizontal_content_list"][0]["media_id"],
            "upstream"
        );
        assert_eq!(body["file"]["media_id"], "other");
    }
}
