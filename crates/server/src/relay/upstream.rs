//! Talking to the upstream WeCom: forwarding a request's body, uploading media first, and what
//! each answer means for the relay (delivered, retry, or give up).

use std::time::Duration;

use hookpit_protocol::MediaKind;
use serde_json::Value;

/// What one attempt at the upstream came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `errcode` 0.
    Delivered,
    /// Worth trying again: WeCom's rate limit or busy answers, a gateway error, a timeout, a
    /// broken connection.
    Transient {
        errcode: Option<i64>,
        errmsg: String,
        http_status: Option<u16>,
        /// The upstream asks to slow down (45009, 45033, HTTP 429): wait longer.
        slow_down: bool,
    },
    /// Retrying cannot help: the upstream refused the message itself or the key.
    Permanent {
        errcode: Option<i64>,
        errmsg: String,
        http_status: Option<u16>,
    },
}

/// The class of a WeCom errcode for the relay (docs/RELAY.md lists them). Unknown non-zero
/// codes are permanent: retrying a refusal WeCom has not explained would only repeat it.
pub fn classify(errcode: i64) -> Class {
    match errcode {
        0 => Class::Delivered,
        // Rate limit, concurrency, and WeCom's "system busy".
        45009 | 45033 => Class::SlowDown,
        -1 => Class::Transient,
        // Everything else: the key (93000), the body (40008, 40058, 44004, ...), the target
        // (93005, 93008), media (40007, 301019, ...).
        _ => Class::Permanent,
    }
}

/// See [`classify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Delivered,
    Transient,
    SlowDown,
    Permanent,
}

/// The upstream of one bot.
#[derive(Debug, Clone)]
pub struct Upstream<'a> {
    pub client: &'a reqwest::Client,
    /// The WeCom webhook send URL.
    pub send_url: &'a str,
}

impl Upstream<'_> {
    /// The upload URL next to the send URL, for `kind`.
    fn upload_url(&self, kind: MediaKind) -> String {
        let base =
            self.send_url
                .replacen("/cgi-bin/webhook/send", "/cgi-bin/webhook/upload_media", 1);
        let separator = if base.contains('?') { '&' } else { '?' };
        format!("{base}{separator}type={}", kind.as_str())
    }

    /// POSTs `body` to the send URL.
    pub async fn send(&self, body: Vec<u8>) -> Outcome {
        let sent = self
            .client
            .post(self.send_url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await;
        answer(sent).await.0
    }

    /// Uploads `bytes` as `filename` of `kind`; the upstream's media id, or why not.
    pub async fn upload(
        &self,
        kind: MediaKind,
        filename: &str,
        bytes: Vec<u8>,
    ) -> Result<String, Outcome> {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(filename.to_owned())
            .mime_str("application/octet-stream")
            .map_err(|error| Outcome::Permanent {
                errcode: None,
                errmsg: format!("cannot build the upload: {error}"),
                http_status: None,
            })?;
        let sent = self
            .client
            .post(self.upload_url(kind))
            .multipart(reqwest::multipart::Form::new().part("media", part))
            .send()
            .await;
        let (outcome, reply) = answer(sent).await;
        match outcome {
            Outcome::Delivered => reply
                .and_then(|reply| {
                    reply
                        .get("media_id")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .ok_or(Outcome::Transient {
                    errcode: None,
                    errmsg: "the upload's answer has no media_id".to_owned(),
                    http_status: Some(200),
                    slow_down: false,
                }),
            other => Err(other),
        }
    }
}

/// Reads an upstream answer: WeCom's JSON with its errcode, or an HTTP or network failure.
async fn answer(sent: Result<reqwest::Response, reqwest::Error>) -> (Outcome, Option<Value>) {
    let response = match sent {
        Ok(response) => response,
        Err(error) => {
            let errmsg = if error.is_timeout() {
                "the upstream did not answer in time".to_owned()
            } else if error.is_connect() {
                "cannot connect to the upstream".to_owned()
            } else {
                format!("the connection failed: {}", error.without_url())
            };
            return (
                Outcome::Transient {
                    errcode: None,
                    errmsg,
                    http_status: None,
                    slow_down: false,
                },
                None,
            );
        }
    };
    let status = response.status().as_u16();
    let text = match tokio::time::timeout(Duration::from_secs(30), response.text()).await {
        Ok(Ok(text)) => text,
        _ => String::new(),
    };
    if status != 200 {
        let errmsg = format!("HTTP {status}");
        let outcome = match status {
            408 | 429 | 500..=599 => Outcome::Transient {
                errcode: None,
                errmsg,
                http_status: Some(status),
                slow_down: status == 429,
            },
            _ => Outcome::Permanent {
                errcode: None,
                errmsg,
                http_status: Some(status),
            },
        };
        return (outcome, None);
    }
    let Ok(reply) = serde_json::from_str::<Value>(&text) else {
        return (
            Outcome::Transient {
                errcode: None,
                errmsg: "the upstream's answer is not WeCom's JSON".to_owned(),
                http_status: Some(status),
                slow_down: false,
            },
            None,
        );
    };
    let errcode = reply.get("errcode").and_then(Value::as_i64).unwrap_or(-1);
    let errmsg = reply
        .get("errmsg")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let outcome = match classify(errcode) {
        Class::Delivered => Outcome::Delivered,
        Class::Transient | Class::SlowDown => Outcome::Transient {
            errcode: Some(errcode),
            errmsg,
            http_status: Some(status),
            slow_down: classify(errcode) == Class::SlowDown,
        },
        Class::Permanent => Outcome::Permanent {
            errcode: Some(errcode),
            errmsg,
            http_status: Some(status),
        },
    };
    (outcome, Some(reply))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wecoms_codes_are_retried_or_given_up_on_as_their_meaning_says() {
        assert_eq!(classify(0), Class::Delivered);
        assert_eq!(classify(45009), Class::SlowDown);
        assert_eq!(classify(45033), Class::SlowDown);
        assert_eq!(classify(-1), Class::Transient);
        for permanent in [93000, 40058, 40008, 93008, 93005, 44004, 40007, 301019] {
            assert_eq!(classify(permanent), Class::Permanent, "{permanent}");
        }
    }

    #[test]
    fn the_upload_url_sits_beside_the_send_url() {
        let client = reqwest::Client::new();
        let upstream = Upstream {
            client: &client,
            send_url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K",
        };
        assert_eq!(
            upstream.upload_url(MediaKind::Voice),
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/upload_media?key=K&type=voice"
        );
    }
}
