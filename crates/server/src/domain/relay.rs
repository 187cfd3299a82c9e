//! The relay as the store keeps it: a bot's upstream (a real WeCom webhook URL) and how its
//! messages are forwarded.

use serde::{Deserialize, Serialize};

/// Whether a relaying bot's messages leave by themselves or wait for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RelayMode {
    /// Every accepted message is forwarded.
    All,
    /// Each message waits until it is released (`POST /api/v1/messages/{id}/release`).
    Manual,
}

impl RelayMode {
    /// The stored and API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RelayMode::All => "all",
            RelayMode::Manual => "manual",
        }
    }

    /// Parses [`RelayMode::as_str`].
    pub fn parse(text: &str) -> Option<RelayMode> {
        match text {
            "all" => Some(RelayMode::All),
            "manual" => Some(RelayMode::Manual),
            _ => None,
        }
    }
}

/// A bot's upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayConfig {
    pub bot_id: String,
    /// The WeCom webhook send URL (`…/cgi-bin/webhook/send?key=KEY`). Its key is a secret.
    pub upstream: String,
    pub mode: RelayMode,
    /// Unix milliseconds.
    pub created_at: i64,
}

impl RelayConfig {
    /// The upstream URL with its key masked (first 4 characters), for logs, the API and the UI.
    pub fn masked_upstream(&self) -> String {
        mask_url_key(&self.upstream)
    }

    /// The upstream's bot key.
    pub fn upstream_key(&self) -> String {
        url_key(&self.upstream).unwrap_or_default()
    }
}

/// The `key` of a webhook URL.
pub fn url_key(url: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "key")
        .map(|(_, value)| value.into_owned())
}

/// `url` with its `key` shown as its first 4 characters and `…`.
pub fn mask_url_key(url: &str) -> String {
    match url_key(url) {
        Some(key) if !key.is_empty() => {
            let masked: String = key.chars().take(4).chain(std::iter::once('…')).collect();
            url.replacen(&key, &masked, 1)
        }
        _ => url.to_owned(),
    }
}

/// What the relay consumer keeps about one request to forward.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayJob {
    /// The request whose raw body is forwarded.
    pub request_id: String,
    /// Held until released (manual mode).
    #[serde(default)]
    pub held: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upstream_key_is_masked_everywhere_it_is_shown() {
        let config = RelayConfig {
            bot_id: "b".to_owned(),
            upstream: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4"
                .to_owned(),
            mode: RelayMode::All,
            created_at: 0,
        };
        assert_eq!(
            config.masked_upstream(),
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a…"
        );
        assert_eq!(config.upstream_key(), "693a91f6-7xxx-4bc4");
        assert_eq!(mask_url_key("http://x/send"), "http://x/send");
    }
}
