//! [`Config`]: every setting of a Hookpit server, validated once at start-up, then carried in
//! the app state.
//!
//! A plain struct, so that the library does not depend on a command-line parser: the `hookpit`
//! binary defines the flags and `HOOKPIT_*` environment variables of `hookpit serve` and builds
//! a `Config` from them (`crates/cli/src/cli/serve.rs`); tests and embedders start from
//! [`Config::new`] or [`Config::default`] and change fields. The parsers and checks the flags
//! use live next to what they check: [`Config::validate`] here, [`parse_listen`],
//! [`check_data_dir`] and [`read_token_file`] in `inputs.rs`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use hookpit_protocol::UploadPolicy;

mod debug;
mod inputs;

pub use inputs::{TokenFileError, check_data_dir, parse_listen, read_token_file, redact_password};

/// The default `listen` address, as `hookpit serve --listen` spells it.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8765";

/// The default data directory, as `hookpit serve --data` spells it (relative to the working
/// directory).
pub const DEFAULT_DATA: &str = "./hookpit-data";

/// How a Hookpit server runs. Each field is the flag of `hookpit serve` of the same name in
/// kebab case (`body_memory_mib` is `--body-memory-mib`; the lists are singular: `relays` is
/// `--relay`, `faults` `--fault`, `trusted_proxies` `--trusted-proxy`), which also has a
/// `HOOKPIT_*` environment variable.
#[derive(Clone)]
pub struct Config {
    /// Address to listen on: `IP:PORT`, `localhost:PORT`, or a bare port (on 127.0.0.1). A
    /// non-loopback address requires --admin-token.
    pub listen: SocketAddr,

    /// Directory for the SQLite database and uploaded media (created if missing).
    pub data: PathBuf,

    /// Rate-limit profile: `internal` (WeCom's internal document: 100/min per chat, per
    /// broadcast, per single-chat user; 10,000/min per bot), `public` (20/min per bot) or `off`
    /// (no limit at all, not even the identical-body rule; for load tests of senders).
    pub limits: LimitProfile,

    /// Override the profile's messages per minute per bot to one chat or single-chat user.
    pub rate_per_chat: Option<usize>,

    /// Override the profile's broadcast (`@all...`) messages per minute per bot.
    pub rate_broadcast: Option<usize>,

    /// Override the profile's send calls per minute per bot overall.
    pub rate_per_bot: Option<usize>,

    /// Do not create the demo workspace, and do not answer the official document's example keys
    /// (they are public: use this for a shared hub).
    pub no_demo: bool,

    /// Sandbox: an unknown key creates a bot of that key with its own group (and unknown chat
    /// ids become groups of that bot), so programs holding a production key work unchanged.
    pub accept_any_key: bool,

    /// Behind a reverse proxy: take the caller's address from the `X-Forwarded-For` hop the
    /// proxy appended (the right-most one), when the peer is loopback or a --trusted-proxy.
    /// Used for the admin guard and WeCom's `from ip`.
    pub trust_proxy: bool,

    /// With --trust-proxy: how many proxies in a chain append to `X-Forwarded-For`; the caller
    /// is the hop this many places from the right.
    pub trusted_hops: u16,

    /// With --trust-proxy: a proxy address besides loopback whose `X-Forwarded-For` is believed
    /// (repeatable, or comma-separated).
    pub trusted_proxies: Vec<std::net::IpAddr>,

    /// Bearer token required by the admin API, the inbox, `/readyz` and `/metrics`
    /// (`Authorization: Bearer TOKEN`). Without it they answer loopback callers only. Prefer
    /// the environment variable or --admin-token-file: a flag shows in `ps`.
    pub admin_token: Option<String>,

    /// Read the admin token from this file (its first line), e.g. a container secret.
    pub admin_token_file: Option<PathBuf>,

    /// Also serve `/livez`, `/readyz` and `/metrics` on this address, without the admin token
    /// (for Prometheus and health probes). On the main address they need the token.
    pub metrics_listen: Option<SocketAddr>,

    /// Log one line per HTTP request (method, path, status, time; never a full key) at info,
    /// under the target `hookpit::access`.
    pub access_log: bool,

    /// Keep at most this many messages; older ones are pruned periodically.
    pub max_messages: Option<u64>,

    /// Prune messages older than this (e.g. `7d`, `12h`).
    pub max_age: Option<Duration>,

    /// Extra upload types beyond WeCom's public `file` and `voice` (internal document only):
    /// `image`, `video`, comma-separated.
    pub upload_types: Vec<ExtraUploadType>,

    /// Durability of acknowledged messages: `full` (fsync on every group commit: survives power
    /// loss) or `normal` (WAL without fsync per commit: survives a crash or kill -9 of the
    /// process, may lose the last commits on power loss or an OS crash).
    pub sync: SyncMode,

    /// Longest a request may take before it is cut off (also bounds shutdown draining).
    pub request_timeout: Duration,

    /// Longest wait for a request's headers; also how long an idle keep-alive connection stays
    /// open.
    pub header_timeout: Duration,

    /// Longest pause between two pieces of a webhook request's body; a sender that stalls
    /// longer gets WeCom's `-1` answer.
    pub body_timeout: Duration,

    /// Longest a response write may wait for a client that does not read (e.g. an event
    /// stream nobody consumes); the connection is then dropped.
    pub write_timeout: Duration,

    /// How long a bot's callback URL has to answer a callback (WeCom: 5 s); a slower answer is
    /// a failed attempt, retried.
    pub callback_timeout: Duration,

    /// Most MiB of webhook bodies held in memory at once (each `send` body until it is
    /// stored); a call beyond it gets WeCom's busy answer (-1). Uploads stream to disk.
    pub body_memory_mib: usize,

    /// Also run an HTTP proxy here that captures senders hard-wired to WeCom: with
    /// `HTTPS_PROXY=http://ADDR` and Hookpit's CA trusted (`hookpit ca`), their
    /// `https://qyapi.weixin.qq.com` calls reach this Hookpit. Other hosts are refused.
    pub proxy_listen: Option<SocketAddr>,

    /// Also serve HTTPS here with the certificate of qyapi.weixin.qq.com from Hookpit's CA (for
    /// senders that take no proxy: point the name at Hookpit in /etc/hosts or DNS).
    pub tls_listen: Option<SocketAddr>,

    /// Relay a bot to real WeCom (repeatable): `KEY=URL` forwards every message accepted for the
    /// bot holding KEY to the WeCom webhook URL (…/cgi-bin/webhook/send?key=…), within WeCom's
    /// limits and retrying until delivered; `KEY=URL,manual` holds each until released. The
    /// upstream key is a secret (shown masked). Also `PUT /api/v1/bots/{id}/relay`.
    pub relays: Vec<String>,

    /// The limits the relay paces itself by, per upstream bot and chat (as --limits).
    pub relay_limits: LimitProfile,

    /// How long the relay keeps retrying a message before it gives up.
    pub relay_max_age: Duration,

    /// How long the relay waits for the upstream's answer.
    pub relay_timeout: Duration,

    /// Coalesce a held-back chat's queue (off unless given): when a chat's queue is held back
    /// by its limit, the text or markdown messages waiting in it that arrived within WINDOW of
    /// the oldest are forwarded as one message (whole messages, within WeCom's byte limits).
    pub relay_merge: Option<Duration>,

    /// Inject a fault into matching webhook calls (repeatable): comma-separated settings — one
    /// effect (`errcode=N`, `http_status=N`, `delay=DURATION`, `drop`, `hang`), optional
    /// triggers (`times=N`, `every=N`, `probability=P` with `seed=S`, `until=DURATION|TIME`)
    /// and what to match (`key`, `bot_id`, `endpoint=send|upload_media|get_chat_info`,
    /// `msgtype`, `chatid`). E.g. `--fault errcode=45009,times=3` or
    /// `--fault http_status=502,probability=0.2,seed=1`. More at runtime: `/api/v1/faults`
    /// (shared by every instance with `redis`; these stay this instance's own).
    pub faults: Vec<String>,

    /// Base URL printed in webhook URLs (default: `http://LISTEN-ADDRESS`), e.g. when behind a
    /// proxy.
    pub public_url: Option<String>,

    /// Store everything in this PostgreSQL database (`postgres://USER[:PASSWORD]@HOST[:PORT]/DB`)
    /// instead of SQLite in `data`; `data` still holds this instance's local files.
    pub database: Option<String>,

    /// Share the rate limits, the identical-body rule and the fault rules of `/api/v1/faults`
    /// with every instance on this Redis (`redis://[:PASSWORD@]HOST[:PORT][/DB]`). While it is
    /// unreachable, sends are still accepted under per-instance limits with only the `faults`
    /// of this instance, and `/readyz` says `degraded`.
    pub redis: Option<String>,
}

impl Default for Config {
    /// Every default of `hookpit serve`: loopback on port 8765, data in `./hookpit-data`.
    fn default() -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8765)),
            data: PathBuf::from(DEFAULT_DATA),
            limits: LimitProfile::Internal,
            rate_per_chat: None,
            rate_broadcast: None,
            rate_per_bot: None,
            accept_any_key: false,
            no_demo: false,
            trust_proxy: false,
            trusted_hops: 1,
            trusted_proxies: Vec::new(),
            admin_token: None,
            admin_token_file: None,
            access_log: false,
            metrics_listen: None,
            max_messages: None,
            max_age: None,
            upload_types: Vec::new(),
            sync: SyncMode::Full,
            request_timeout: Duration::from_secs(30),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(30),
            body_memory_mib: 256,
            callback_timeout: Duration::from_secs(5),
            faults: Vec::new(),
            relays: Vec::new(),
            relay_limits: LimitProfile::Internal,
            relay_max_age: Duration::from_secs(24 * 3600),
            relay_timeout: Duration::from_secs(10),
            relay_merge: None,
            proxy_listen: None,
            tls_listen: None,
            public_url: None,
            database: None,
            redis: None,
        }
    }
}

impl Config {
    /// A configuration with every default, for `data` (tests, embedding).
    pub fn new(data: impl Into<PathBuf>) -> Config {
        Config {
            data: data.into(),
            ..Config::default()
        }
    }

    /// How far `X-Forwarded-For` is believed.
    pub fn proxy_trust(&self) -> crate::app::ProxyTrust {
        crate::app::ProxyTrust {
            enabled: self.trust_proxy,
            hops: usize::from(self.trusted_hops),
            proxies: self
                .trusted_proxies
                .iter()
                .map(|ip| ip.to_canonical())
                .collect(),
        }
    }

    /// The upload types enabled beyond file and voice.
    pub fn upload_policy(&self) -> UploadPolicy {
        UploadPolicy {
            allow_image: self.upload_types.contains(&ExtraUploadType::Image),
            allow_video: self.upload_types.contains(&ExtraUploadType::Video),
        }
    }

    /// Reads `--admin-token-file` into `admin_token` (its first line, without the newline).
    ///
    /// # Errors
    /// A message naming the file and what is wrong with it.
    pub fn load_admin_token(&mut self) -> Result<(), String> {
        let Some(path) = &self.admin_token_file else {
            return Ok(());
        };
        if self.admin_token.is_some() {
            return Err("give either --admin-token or --admin-token-file, not both".to_owned());
        }
        let token = read_token_file(path).map_err(|error| match error {
            TokenFileError::Unreadable(error) => {
                format!("cannot read --admin-token-file {}: {error}", path.display())
            }
            TokenFileError::Empty => format!(
                "--admin-token-file {} is empty: its first line is the token",
                path.display()
            ),
        })?;
        self.admin_token = Some(token);
        Ok(())
    }

    /// Checks what a flag's own parser cannot: the admin token rule and non-empty values.
    ///
    /// # Errors
    /// A message naming the offending setting.
    pub fn validate(&self, bound: SocketAddr) -> Result<(), String> {
        if let Some(token) = &self.admin_token
            && token.trim().is_empty()
        {
            return Err("--admin-token must not be empty".to_owned());
        }
        if !bound.ip().is_loopback() && self.admin_token.is_none() {
            return Err(format!(
                "refusing to listen on non-loopback address {bound} without --admin-token \
                 (the admin API and inbox would be open to the network)"
            ));
        }
        for (flag, addr) in [
            ("--proxy-listen", self.proxy_listen),
            ("--tls-listen", self.tls_listen),
        ] {
            if let Some(addr) = addr
                && !addr.ip().is_loopback()
                && self.admin_token.is_none()
            {
                return Err(format!(
                    "refusing {flag} {addr} off loopback without --admin-token"
                ));
            }
        }
        for (flag, value) in [
            ("--request-timeout", self.request_timeout),
            ("--header-timeout", self.header_timeout),
            ("--body-timeout", self.body_timeout),
            ("--write-timeout", self.write_timeout),
            ("--callback-timeout", self.callback_timeout),
            ("--relay-timeout", self.relay_timeout),
        ] {
            if value.is_zero() {
                return Err(format!("{flag} must be longer than zero"));
            }
        }
        if self.body_memory_mib == 0 {
            return Err("--body-memory-mib must be at least 1".to_owned());
        }
        if self.max_messages == Some(0) {
            return Err("--max-messages must be at least 1".to_owned());
        }
        Ok(())
    }
}

/// The rate-limit profiles of spec §5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitProfile {
    /// WeCom's internal document: 100/min per chat, broadcast and user; 10,000/min per bot.
    Internal,
    /// WeCom's public document: 20/min per bot.
    Public,
    /// No limits and no identical-body rule.
    Off,
}

/// Upload types beyond `file` and `voice`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtraUploadType {
    Image,
    Video,
}

/// SQLite `synchronous` setting in WAL mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncMode {
    /// `synchronous=FULL`: each group commit is fsynced before any sender is answered.
    Full,
    /// `synchronous=NORMAL`: commits survive process crashes, not power loss.
    Normal,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_redacts_the_admin_token() {
        let mut config = Config::new("d");
        config.admin_token = Some("s3cret".to_owned());
        let debug = format!("{config:?}");
        assert!(!debug.contains("s3cret"));
        assert!(debug.contains("<redacted>"));
    }

    #[test]
    fn non_loopback_without_token_is_refused() {
        let config = Config::new("d");
        assert!(config.validate("0.0.0.0:1".parse().unwrap()).is_err());
        assert!(config.validate("127.0.0.1:1".parse().unwrap()).is_ok());
        let mut with_token = Config::new("d");
        with_token.admin_token = Some("t".to_owned());
        assert!(with_token.validate("0.0.0.0:1".parse().unwrap()).is_ok());
    }
}
