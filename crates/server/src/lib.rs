//! Hookpit's server: a self-hosted stand-in for WeCom's message-push webhook API
//! (`/cgi-bin/webhook/send` and `upload_media`, same URLs, JSON, limits, errcodes and errmsg
//! text) that stores every accepted message and shows it through the admin/inbox API and the
//! embedded web inbox.
//!
//! Depends on `hookpit-protocol` (every wire rule) and `hookpit-render` (message HTML); never on
//! the SDK or the CLI, which use it only to run a server (`hookpit serve`) and in tests.
//!
//! # Running
//! [`serve`] is the whole of `hookpit serve`. Tests and embedders use [`Server::builder`], which
//! takes an already bound listener (port 0) and an injectable [`clock::Clock`]:
//!
//! ```no_run
//! # async fn demo() -> Result<(), hookpit_server::ServeError> {
//! use hookpit_server::{Config, Server};
//!
//! let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
//! let server = Server::builder(Config::new("/tmp/hookpit-data"))
//!     .listener(listener)
//!     .start()
//!     .await?;
//! println!("send to {}", server.webhook_url());
//! server.shutdown().await?;
//! # Ok(()) }
//! ```
//!
//! # Layout
//! - [`config`]: [`Config`], every flag of `hookpit serve`.
//! - [`server`]: [`serve`], [`Server`] (the builder) and [`RunningServer`]; start-up, banner,
//!   background pruning, graceful shutdown.
//! - [`http`]: the accept loop under the app: header-read and write-stall timeouts, graceful
//!   shutdown.
//! - [`app`]: [`app::AppState`] shared by handlers, and the router that assembles the app.
//! - [`webhook`]: the WeCom endpoints `send` and `upload_media`, with WeCom's wire format.
//! - [`api`]: the admin and inbox API under `/api/v1` and the embedded web inbox.
//! - [`proxy`]: the capture proxy (`--proxy-listen`) and `--tls-listen`, with Hookpit's own CA.
//! - [`relay`]: forwarding relaying bots' messages to real WeCom, paced and retried.
//! - [`fault`]: fault injection rules (`--fault`, `/api/v1/faults`), applied by the webhook.
//! - [`callback`]: two-way Hookpit — people act, bots get WeCom's encrypted callbacks and answer.
//! - [`ops`]: `/livez`, `/readyz`, `/metrics` and retention pruning.
//! - [`store`]: the durable SQLite store (group commit) behind domain-typed methods.
//! - [`domain`]: users, chats, bots, messages and media as the store takes and returns them.
//! - [`limit`]: rate limits and the identical-body rule.
//! - [`metrics`]: Prometheus counters and histograms.
//! - [`clock`]: where time comes from (a manual clock in tests).
//! - [`embedded`]: a [`RunningServer`]'s inbox for programs that embed it (list, wait for,
//!   clear, rejections, faults); `testing` (feature): throwaway servers for test suites.

pub mod api;
pub mod app;
pub mod callback;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod domain;
pub mod embedded;
pub mod fault;
pub mod http;
pub mod limit;
pub mod metrics;
pub mod ops;
pub mod proxy;
pub mod relay;
pub mod server;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
pub mod webhook;

pub use config::Config;

/// The git commit this build comes from (`unknown` outside a git checkout), from `build.rs`.
pub const GIT_COMMIT: &str = env!("HOOKPIT_GIT_COMMIT");
pub use server::{Listener, RunningServer, ServeError, Server, ServerBuilder, serve};
