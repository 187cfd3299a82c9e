//! The flags of `hookpit serve`: every setting of the server's [`Config`], each with its
//! `HOOKPIT_*` environment variable, default and help text, plus the log format (which the
//! binary, not the server, sets up).
//!
//! The server library is a plain struct without a command-line parser; [`ServeArgs::config`]
//! builds it. Parsers that check a value against the server's own rules (`parse_listen`) come
//! from the server, so a flag and a test or embedder configuring the same field agree.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use hookpit_server::Config;
use hookpit_server::config::{DEFAULT_DATA, DEFAULT_LISTEN, parse_listen};

mod values;

pub use values::{ExtraUploadTypeArg, LimitProfileArg, SyncModeArg};

/// `hookpit serve`: how the server runs. Every flag has a `HOOKPIT_*` environment variable.
#[derive(Args, Clone)]
pub struct ServeArgs {
    /// Address to listen on: `IP:PORT`, `localhost:PORT`, or a bare port (on 127.0.0.1). A
    /// non-loopback address requires --admin-token.
    #[arg(long, env = "HOOKPIT_LISTEN", default_value = DEFAULT_LISTEN, value_parser = parse_listen)]
    pub listen: SocketAddr,

    /// Directory for the SQLite database and uploaded media (created if missing).
    #[arg(
        long = "data",
        env = "HOOKPIT_DATA",
        value_name = "DIR",
        default_value = DEFAULT_DATA
    )]
    pub data: PathBuf,

    /// Rate-limit profile: `internal` (WeCom's internal document: 100/min per chat, per
    /// broadcast, per single-chat user; 10,000/min per bot), `public` (20/min per bot) or `off`
    /// (no limit at all, not even the identical-body rule; for load tests of senders).
    #[arg(long, env = "HOOKPIT_LIMITS", value_enum, default_value_t = LimitProfileArg::Internal)]
    pub limits: LimitProfileArg,

    /// Override the profile's messages per minute per bot to one chat or single-chat user.
    #[arg(long, env = "HOOKPIT_RATE_PER_CHAT", value_name = "N")]
    pub rate_per_chat: Option<usize>,

    /// Override the profile's broadcast (`@all...`) messages per minute per bot.
    #[arg(long, env = "HOOKPIT_RATE_BROADCAST", value_name = "N")]
    pub rate_broadcast: Option<usize>,

    /// Override the profile's send calls per minute per bot overall.
    #[arg(long, env = "HOOKPIT_RATE_PER_BOT", value_name = "N")]
    pub rate_per_bot: Option<usize>,

    /// Do not create the demo workspace, and do not answer the official document's example keys
    /// (they are public: use this for a shared hub).
    #[arg(long, env = "HOOKPIT_NO_DEMO")]
    pub no_demo: bool,

    /// Sandbox: an unknown key creates a bot of that key with its own group (and unknown chat
    /// ids become groups of that bot), so programs holding a production key work unchanged.
    #[arg(long, env = "HOOKPIT_ACCEPT_ANY_KEY")]
    pub accept_any_key: bool,

    /// Behind a reverse proxy: take the caller's address from the `X-Forwarded-For` hop the
    /// proxy appended (the right-most one), when the peer is loopback or a --trusted-proxy.
    /// Used for the admin guard and WeCom's `from ip`.
    #[arg(long, env = "HOOKPIT_TRUST_PROXY")]
    pub trust_proxy: bool,

    /// With --trust-proxy: how many proxies in a chain append to `X-Forwarded-For`; the caller
    /// is the hop this many places from the right.
    #[arg(long, env = "HOOKPIT_TRUSTED_HOPS", value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub trusted_hops: u16,

    /// With --trust-proxy: a proxy address besides loopback whose `X-Forwarded-For` is believed
    /// (repeatable, or comma-separated).
    #[arg(
        long = "trusted-proxy",
        env = "HOOKPIT_TRUSTED_PROXIES",
        value_name = "IP",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,

    /// Bearer token required by the admin API, the inbox, `/readyz` and `/metrics`
    /// (`Authorization: Bearer TOKEN`). Without it they answer loopback callers only. Prefer
    /// the environment variable or --admin-token-file: a flag shows in `ps`.
    #[arg(
        long,
        env = "HOOKPIT_ADMIN_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true,
        conflicts_with = "admin_token_file"
    )]
    pub admin_token: Option<String>,

    /// Read the admin token from this file (its first line), e.g. a container secret.
    #[arg(long, env = "HOOKPIT_ADMIN_TOKEN_FILE", value_name = "PATH")]
    pub admin_token_file: Option<PathBuf>,

    /// Also serve `/livez`, `/readyz` and `/metrics` on this address, without the admin token
    /// (for Prometheus and health probes). On the main address they need the token.
    #[arg(long, env = "HOOKPIT_METRICS_LISTEN", value_name = "ADDR", value_parser = parse_listen)]
    pub metrics_listen: Option<SocketAddr>,

    /// Log one line per HTTP request (method, path, status, time; never a full key) at info,
    /// under the target `hookpit::access`.
    #[arg(long, env = "HOOKPIT_ACCESS_LOG")]
    pub access_log: bool,

    /// How log lines are written to stderr: `text` for people, `json` (one object per line:
    /// timestamp, level, target, fields) for log collectors. `RUST_LOG` still filters them.
    #[arg(
        long,
        env = "HOOKPIT_LOG_FORMAT",
        value_enum,
        value_name = "FORMAT",
        default_value_t = LogFormat::Text
    )]
    pub log_format: LogFormat,

    /// Keep at most this many messages; older ones are pruned periodically.
    #[arg(long, env = "HOOKPIT_MAX_MESSAGES", value_name = "N")]
    pub max_messages: Option<u64>,

    /// Prune messages older than this (e.g. `7d`, `12h`).
    #[arg(long, env = "HOOKPIT_MAX_AGE", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub max_age: Option<Duration>,

    /// Extra upload types beyond WeCom's public `file` and `voice` (internal document only):
    /// `image`, `video`, comma-separated.
    #[arg(
        long,
        env = "HOOKPIT_UPLOAD_TYPES",
        value_enum,
        value_delimiter = ',',
        value_name = "TYPES"
    )]
    pub upload_types: Vec<ExtraUploadTypeArg>,

    /// Durability of acknowledged messages: `full` (fsync on every group commit: survives power
    /// loss) or `normal` (WAL without fsync per commit: survives a crash or kill -9 of the
    /// process, may lose the last commits on power loss or an OS crash).
    #[arg(long, env = "HOOKPIT_SYNC", value_enum, default_value_t = SyncModeArg::Full)]
    pub sync: SyncModeArg,

    /// Longest a request may take before it is cut off (also bounds shutdown draining).
    #[arg(long, env = "HOOKPIT_REQUEST_TIMEOUT", value_name = "DURATION", default_value = "30s", value_parser = humantime::parse_duration)]
    pub request_timeout: Duration,

    /// Longest wait for a request's headers; also how long an idle keep-alive connection stays
    /// open.
    #[arg(long, env = "HOOKPIT_HEADER_TIMEOUT", value_name = "DURATION", default_value = "10s", value_parser = humantime::parse_duration)]
    pub header_timeout: Duration,

    /// Longest pause between two pieces of a webhook request's body; a sender that stalls
    /// longer gets WeCom's `-1` answer.
    #[arg(long, env = "HOOKPIT_BODY_TIMEOUT", value_name = "DURATION", default_value = "10s", value_parser = humantime::parse_duration)]
    pub body_timeout: Duration,

    /// Longest a response write may wait for a client that does not read (e.g. an event
    /// stream nobody consumes); the connection is then dropped.
    #[arg(long, env = "HOOKPIT_WRITE_TIMEOUT", value_name = "DURATION", default_value = "30s", value_parser = humantime::parse_duration)]
    pub write_timeout: Duration,

    /// How long a bot's callback URL has to answer a callback (WeCom: 5 s); a slower answer is
    /// a failed attempt, retried.
    #[arg(long, env = "HOOKPIT_CALLBACK_TIMEOUT", value_name = "DURATION", default_value = "5s", value_parser = humantime::parse_duration)]
    pub callback_timeout: Duration,

    /// Most MiB of webhook bodies held in memory at once (each `send` body until it is
    /// stored); a call beyond it gets WeCom's busy answer (-1). Uploads stream to disk.
    #[arg(
        long,
        env = "HOOKPIT_BODY_MEMORY",
        value_name = "MIB",
        default_value_t = 256
    )]
    pub body_memory_mib: usize,

    /// Also run an HTTP proxy here that captures senders hard-wired to WeCom: with
    /// `HTTPS_PROXY=http://ADDR` and Hookpit's CA trusted (`hookpit ca`), their
    /// `https://qyapi.weixin.qq.com` calls reach this Hookpit. Other hosts are refused.
    #[arg(long, env = "HOOKPIT_PROXY_LISTEN", value_name = "ADDR", value_parser = parse_listen)]
    pub proxy_listen: Option<SocketAddr>,

    /// Also serve HTTPS here with the certificate of qyapi.weixin.qq.com from Hookpit's CA (for
    /// senders that take no proxy: point the name at Hookpit in /etc/hosts or DNS).
    #[arg(long, env = "HOOKPIT_TLS_LISTEN", value_name = "ADDR", value_parser = parse_listen)]
    pub tls_listen: Option<SocketAddr>,

    /// Relay a bot to real WeCom (repeatable): `KEY=URL` forwards every message accepted for the
    /// bot holding KEY to the WeCom webhook URL (…/cgi-bin/webhook/send?key=…), within WeCom's
    /// limits and retrying until delivered; `KEY=URL,manual` holds each until released. The
    /// upstream key is a secret (shown masked). Also `PUT /api/v1/bots/{id}/relay`.
    #[arg(
        long = "relay",
        env = "HOOKPIT_RELAYS",
        value_name = "KEY=URL",
        value_delimiter = ';'
    )]
    pub relays: Vec<String>,

    /// The limits the relay paces itself by, per upstream bot and chat (as --limits).
    #[arg(long, env = "HOOKPIT_RELAY_LIMITS", value_enum, default_value_t = LimitProfileArg::Internal)]
    pub relay_limits: LimitProfileArg,

    /// How long the relay keeps retrying a message before it gives up.
    #[arg(long, env = "HOOKPIT_RELAY_MAX_AGE", value_name = "DURATION", default_value = "24h", value_parser = humantime::parse_duration)]
    pub relay_max_age: Duration,

    /// How long the relay waits for the upstream's answer.
    #[arg(long, env = "HOOKPIT_RELAY_TIMEOUT", value_name = "DURATION", default_value = "10s", value_parser = humantime::parse_duration)]
    pub relay_timeout: Duration,

    /// Coalesce a held-back chat's queue (off unless given): when a chat's queue is held back
    /// by its limit, the text or markdown messages waiting in it that arrived within WINDOW of
    /// the oldest are forwarded as one message (whole messages, within WeCom's byte limits).
    #[arg(long, env = "HOOKPIT_RELAY_MERGE", value_name = "WINDOW", value_parser = humantime::parse_duration)]
    pub relay_merge: Option<Duration>,

    /// Inject a fault into matching webhook calls (repeatable): comma-separated settings — one
    /// effect (`errcode=N`, `http_status=N`, `delay=DURATION`, `drop`, `hang`), optional
    /// triggers (`times=N`, `every=N`, `probability=P` with `seed=S`, `until=DURATION|TIME`)
    /// and what to match (`key`, `bot_id`, `endpoint=send|upload_media|get_chat_info`,
    /// `msgtype`, `chatid`). E.g. `--fault errcode=45009,times=3` or
    /// `--fault http_status=502,probability=0.2,seed=1`. More at runtime: `/api/v1/faults`
    /// (shared by every instance with --redis; these stay this instance's own).
    #[arg(
        long = "fault",
        env = "HOOKPIT_FAULTS",
        value_name = "SPEC",
        value_delimiter = ';'
    )]
    pub faults: Vec<String>,

    /// Base URL printed in webhook URLs (default: `http://LISTEN-ADDRESS`), e.g. when behind a
    /// proxy.
    #[arg(long, env = "HOOKPIT_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,

    /// Store everything in PostgreSQL instead of SQLite in --data, e.g.
    /// `postgres://hookpit:PASSWORD@db.internal:5432/hookpit`; migrations run at start-up (one
    /// instance at a time). --data still holds this instance's local files.
    #[arg(
        long,
        env = "HOOKPIT_DATABASE",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database: Option<String>,

    /// Share the rate limits and the identical-body rule (45009, 45033), and the fault rules of
    /// `/api/v1/faults`, with every instance on this Redis, e.g. `redis://redis.internal:6379` or
    /// `redis://:PASSWORD@HOST:6379/0`. While it is unreachable, sends are still accepted under
    /// per-instance limits with only this instance's --fault rules, a warning is logged once and
    /// `/readyz` says `degraded`; shared limits and rules resume when it is back.
    #[arg(
        long,
        env = "HOOKPIT_REDIS",
        value_name = "URL",
        hide_env_values = true
    )]
    pub redis: Option<String>,
}

impl ServeArgs {
    /// The server's configuration these flags describe.
    pub fn config(self) -> Config {
        Config {
            listen: self.listen,
            data: self.data,
            limits: self.limits.into(),
            rate_per_chat: self.rate_per_chat,
            rate_broadcast: self.rate_broadcast,
            rate_per_bot: self.rate_per_bot,
            no_demo: self.no_demo,
            accept_any_key: self.accept_any_key,
            trust_proxy: self.trust_proxy,
            trusted_hops: self.trusted_hops,
            trusted_proxies: self.trusted_proxies,
            admin_token: self.admin_token,
            admin_token_file: self.admin_token_file,
            metrics_listen: self.metrics_listen,
            access_log: self.access_log,
            max_messages: self.max_messages,
            max_age: self.max_age,
            upload_types: self.upload_types.into_iter().map(Into::into).collect(),
            sync: self.sync.into(),
            request_timeout: self.request_timeout,
            header_timeout: self.header_timeout,
            body_timeout: self.body_timeout,
            write_timeout: self.write_timeout,
            callback_timeout: self.callback_timeout,
            body_memory_mib: self.body_memory_mib,
            proxy_listen: self.proxy_listen,
            tls_listen: self.tls_listen,
            relays: self.relays,
            relay_limits: self.relay_limits.into(),
            relay_max_age: self.relay_max_age,
            relay_timeout: self.relay_timeout,
            relay_merge: self.relay_merge,
            faults: self.faults,
            public_url: self.public_url,
            database: self.database,
            redis: self.redis,
        }
    }
}

impl std::fmt::Debug for ServeArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The server's `Debug` redacts the admin token and masks relay keys.
        f.debug_struct("ServeArgs")
            .field("config", &self.clone().config())
            .field("log_format", &self.log_format)
            .finish()
    }
}

/// How log lines are written (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Lines for people, coloured on a terminal.
    Text,
    /// One JSON object per line.
    Json,
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use hookpit_server::config::{ExtraUploadType, LimitProfile, SyncMode};

    use super::*;

    #[derive(Parser)]
    struct Serve {
        #[command(flatten)]
        args: ServeArgs,
    }

    fn parse(args: &[&str]) -> ServeArgs {
        Serve::try_parse_from(std::iter::once("serve").chain(args.iter().copied()))
            .expect("the flags parse")
            .args
    }

    #[test]
    fn without_flags_the_configuration_is_the_servers_default() {
        // Debug covers every field (and redacts nothing here: there is no token).
        assert_eq!(
            format!("{:?}", parse(&[]).config()),
            format!("{:?}", Config::default())
        );
    }

    #[test]
    fn every_value_of_the_servers_choices_has_a_flag_value() {
        for profile in [
            LimitProfile::Internal,
            LimitProfile::Public,
            LimitProfile::Off,
        ] {
            assert_eq!(LimitProfile::from(LimitProfileArg::from(profile)), profile);
        }
        for kind in [ExtraUploadType::Image, ExtraUploadType::Video] {
            assert_eq!(ExtraUploadType::from(ExtraUploadTypeArg::from(kind)), kind);
        }
        for mode in [SyncMode::Full, SyncMode::Normal] {
            assert_eq!(SyncMode::from(SyncModeArg::from(mode)), mode);
        }
    }

    #[test]
    fn flags_reach_their_fields() {
        let config = parse(&[
            "--listen",
            "9000",
            "--limits",
            "public",
            "--upload-types",
            "image,video",
            "--trusted-proxy",
            "10.0.0.1,10.0.0.2",
            "--relay",
            "k=https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=up",
            "--max-age",
            "7d",
            "--sync",
            "normal",
        ])
        .config();
        assert_eq!(config.listen, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(config.limits, LimitProfile::Public);
        assert_eq!(
            config.upload_types,
            [ExtraUploadType::Image, ExtraUploadType::Video]
        );
        assert_eq!(config.trusted_proxies.len(), 2);
        assert_eq!(config.relays.len(), 1);
        assert_eq!(config.max_age, Some(Duration::from_secs(7 * 24 * 3600)));
        assert_eq!(config.sync, SyncMode::Normal);
    }
}
