//! One webhook call's context ([`Call`]) and how it ends: the WeCom-shaped response, the
//! metrics, the log line and, for refusals, the entry in the rejection list.

use std::net::SocketAddr;
use std::time::Instant;

use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use hookpit_protocol::limit::IMAGE_MAX_BYTES;
use hookpit_protocol::{ErrorCode, Hint};

use crate::app::{AppState, Caller, Rejection, mask_key};
use crate::clock::rfc3339;

/// Bytes of a refused body kept in the rejection list.
const EXCERPT_BYTES: usize = 512;

/// The largest `send` body read. WeCom: an image is at most 2 MB, 2.67 MB as base64; the rest of
/// a valid request is small, so 4 MiB holds every valid request and bounds memory per call.
pub const fn send_body_limit() -> usize {
    IMAGE_MAX_BYTES * 2
}

/// One webhook call in progress.
#[derive(Debug)]
pub(super) struct Call {
    /// Held so that the in-flight gauge is decremented however the call ends.
    state: AppState,
    pub endpoint: &'static str,
    pub started: Instant,
    /// Unix milliseconds at arrival, from the server's clock.
    pub now: i64,
    /// `from ip` of errmsgs: the peer, or the hop a trusted proxy appended (`unknown` when that
    /// hop is not an address).
    pub from_ip: String,
    pub key: String,
    /// The metrics label: the msgtype (send) or upload type, once known.
    pub label: String,
}

impl Call {
    pub fn new(
        state: &AppState,
        endpoint: &'static str,
        peer: SocketAddr,
        headers: &HeaderMap,
        key: Option<String>,
    ) -> Call {
        Call::for_caller(state, endpoint, state.caller(peer, headers), key)
    }

    /// A call whose caller is already known.
    pub fn for_caller(
        state: &AppState,
        endpoint: &'static str,
        caller: Caller,
        key: Option<String>,
    ) -> Call {
        state.metrics.enter();
        Call {
            state: state.clone(),
            endpoint,
            started: Instant::now(),
            now: state.clock.now_millis(),
            from_ip: caller.to_string(),
            key: key.unwrap_or_default(),
            label: String::new(),
        }
    }

    /// The 25-digit hint: the clock's milliseconds, then 12 random digits.
    fn hint(&self) -> Hint {
        Hint::new(
            u64::try_from(self.now).unwrap_or(0),
            fastrand::u64(..1_000_000_000_000),
        )
    }

    /// The errmsg WeCom would send for `error` to this caller.
    pub fn errmsg(&self, error: &ErrorCode) -> String {
        error.errmsg(self.hint(), &self.from_ip)
    }

    /// Ends a successful call with `json` (whose errmsg is `ok`).
    pub fn succeed(self, state: &AppState, json: String) -> Response {
        state
            .metrics
            .record(self.endpoint, 0, &self.label, self.started.elapsed());
        tracing::debug!(
            endpoint = self.endpoint,
            key = %mask_key(&self.key),
            from_ip = %self.from_ip,
            msgtype = %self.label,
            "webhook accepted"
        );
        wecom_response(json, 0, "ok")
    }

    /// Ends a refused call: answers `error`, counts it, logs it and remembers it with an excerpt
    /// of `body` (when it was read).
    pub fn refuse(self, state: &AppState, error: &ErrorCode, body: &[u8]) -> Response {
        self.refuse_as(state, error, body, false)
    }

    /// [`Call::refuse`] for an injected fault: listed as injected.
    pub fn refuse_injected(self, state: &AppState, error: &ErrorCode, body: &[u8]) -> Response {
        self.refuse_as(state, error, body, true)
    }

    /// Lists an injected fault that is not answered in WeCom's JSON (a gateway page, a dropped
    /// connection, a hang) among the rejections, with `note` as its errmsg and errcode -1.
    pub fn note_injected(&self, state: &AppState, note: &str, body: &[u8]) {
        state
            .metrics
            .record(self.endpoint, -1, &self.label, self.started.elapsed());
        tracing::info!(
            endpoint = self.endpoint,
            key = %mask_key(&self.key),
            from_ip = %self.from_ip,
            note,
            "webhook fault injected"
        );
        let excerpt = &body[..body.len().min(EXCERPT_BYTES)];
        state.reject(Rejection {
            at: rfc3339(self.now),
            key: mask_key(&self.key),
            endpoint: self.endpoint.into(),
            errcode: -1,
            errmsg: note.to_owned(),
            body_excerpt: String::from_utf8_lossy(excerpt).into_owned(),
            from_ip: self.from_ip.clone(),
            injected: true,
        });
    }

    fn refuse_as(
        self,
        state: &AppState,
        error: &ErrorCode,
        body: &[u8],
        injected: bool,
    ) -> Response {
        let errmsg = self.errmsg(error);
        let json = hookpit_protocol::SendReply {
            errcode: error.code(),
            errmsg: errmsg.clone(),
        }
        .to_json();
        state.metrics.record(
            self.endpoint,
            error.code(),
            &self.label,
            self.started.elapsed(),
        );
        // At debug: under a rate limit these come by the thousand per second; the maintenance
        // task logs a summary at info instead (`Metrics::take_refusals`).
        state.metrics.count_refusal(error.code());
        tracing::debug!(
            endpoint = self.endpoint,
            key = %mask_key(&self.key),
            from_ip = %self.from_ip,
            errcode = error.code(),
            error = %error.text(),
            "webhook refused"
        );
        let excerpt = &body[..body.len().min(EXCERPT_BYTES)];
        state.reject(Rejection {
            at: rfc3339(self.now),
            key: mask_key(&self.key),
            endpoint: self.endpoint.into(),
            errcode: error.code(),
            errmsg: errmsg.clone(),
            body_excerpt: String::from_utf8_lossy(excerpt).into_owned(),
            from_ip: self.from_ip.clone(),
            injected,
        });
        wecom_response(json, error.code(), &errmsg)
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        self.state.metrics.leave();
    }
}

/// HTTP 200 with WeCom's content type and the `Error-Code` / `Error-Msg` mirror headers.
pub(super) fn wecom_response(json: String, errcode: i64, errmsg: &str) -> Response {
    let mut response = json.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    headers.insert(
        HeaderName::from_static("error-code"),
        HeaderValue::from(errcode),
    );
    headers.insert(HeaderName::from_static("error-msg"), header_text(errmsg));
    response
}

/// `text` as a header value: UTF-8 bytes are allowed (obs-text), control characters are not, so
/// those become spaces.
fn header_text(text: &str) -> HeaderValue {
    let cleaned: Vec<u8> = text
        .bytes()
        .map(|b| if b < 0x20 || b == 0x7f { b' ' } else { b })
        .collect();
    HeaderValue::from_bytes(&cleaned).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_in_an_errmsg_header_become_spaces() {
        let value = header_text("bad\nline 中");
        assert_eq!(value.as_bytes(), "bad line 中".as_bytes());
    }

    #[test]
    fn every_valid_send_fits_the_body_limit() {
        // base64 of the largest picture, plus room for the JSON around it.
        let base64_len = IMAGE_MAX_BYTES.div_ceil(3) * 4;
        assert!(base64_len + 64 * 1024 < send_body_limit());
    }
}
