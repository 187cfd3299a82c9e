//! How a [`Config`] prints: every field, with the secrets out. The admin token is redacted,
//! relay URLs keep only the start of their key, and database and Redis URLs lose their
//! password, because `Debug` output ends up in logs and bug reports.

use std::fmt;

use super::{Config, redact_password};

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data", &self.data)
            .field("limits", &self.limits)
            .field("rate_per_chat", &self.rate_per_chat)
            .field("rate_broadcast", &self.rate_broadcast)
            .field("rate_per_bot", &self.rate_per_bot)
            .field("accept_any_key", &self.accept_any_key)
            .field("no_demo", &self.no_demo)
            .field("trust_proxy", &self.trust_proxy)
            .field("trusted_hops", &self.trusted_hops)
            .field("trusted_proxies", &self.trusted_proxies)
            .field(
                "admin_token",
                &self.admin_token.as_ref().map(|_| "<redacted>"),
            )
            .field("admin_token_file", &self.admin_token_file)
            .field("access_log", &self.access_log)
            .field("metrics_listen", &self.metrics_listen)
            .field("max_messages", &self.max_messages)
            .field("max_age", &self.max_age)
            .field("upload_types", &self.upload_types)
            .field("sync", &self.sync)
            .field("request_timeout", &self.request_timeout)
            .field("header_timeout", &self.header_timeout)
            .field("body_timeout", &self.body_timeout)
            .field("write_timeout", &self.write_timeout)
            .field("body_memory_mib", &self.body_memory_mib)
            .field("callback_timeout", &self.callback_timeout)
            .field("faults", &self.faults)
            .field(
                "relays",
                &self
                    .relays
                    .iter()
                    .map(|spec| crate::domain::relay::mask_url_key(spec))
                    .collect::<Vec<_>>(),
            )
            .field("relay_limits", &self.relay_limits)
            .field("relay_max_age", &self.relay_max_age)
            .field("relay_timeout", &self.relay_timeout)
            .field("relay_merge", &self.relay_merge)
            .field("proxy_listen", &self.proxy_listen)
            .field("tls_listen", &self.tls_listen)
            .field("public_url", &self.public_url)
            .field("database", &self.database.as_deref().map(redact_password))
            .field("redis", &self.redis.as_deref().map(redact_password))
            .finish()
    }
}
