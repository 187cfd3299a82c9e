//! A bare HTTP/1.1 keep-alive connection on hyper's low-level client.
//!
//! The generator wants exactly N connections, each carrying one request at a time, and as little
//! client work per request as possible (the client shares the machine's two cores with the
//! server). hyper's `conn::http1` gives precisely that; a pooled client (reqwest) would hide the
//! connection count and add work per request.

use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Where a server listens: `host:port`, from `http://host:port` or `host:port`.
#[derive(Debug, Clone)]
pub struct Target {
    /// `host:port`, used for the TCP connection and the `Host` header.
    pub authority: String,
}

impl Target {
    /// Parses `http://host:port[/]` or `host:port`.
    ///
    /// # Errors
    /// An `https` URL (the generator speaks plain HTTP only) or an empty authority.
    pub fn parse(url: &str) -> anyhow::Result<Target> {
        if url.starts_with("https://") {
            bail!("the load generator speaks plain HTTP only: {url}");
        }
        let rest = url.strip_prefix("http://").unwrap_or(url);
        let authority = rest.split('/').next().unwrap_or_default();
        if authority.is_empty() {
            bail!("no host:port in {url:?}");
        }
        Ok(Target {
            authority: authority.to_owned(),
        })
    }
}

/// One request to send: everything but the connection.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub method: Method,
    /// Path and query, e.g. `/cgi-bin/webhook/send?key=K`.
    pub path: String,
    pub content_type: Option<&'static str>,
    pub body: Bytes,
}

impl Outgoing {
    /// A `GET` of `path`.
    pub fn get(path: impl Into<String>) -> Outgoing {
        Outgoing {
            method: Method::GET,
            path: path.into(),
            content_type: None,
            body: Bytes::new(),
        }
    }

    /// A `POST` of a JSON body.
    pub fn post_json(path: impl Into<String>, body: impl Into<Bytes>) -> Outgoing {
        Outgoing {
            method: Method::POST,
            path: path.into(),
            content_type: Some("application/json"),
            body: body.into(),
        }
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Incoming {
    pub status: StatusCode,
    pub body: Bytes,
}

/// One keep-alive connection.
pub struct Connection {
    sender: SendRequest<Full<Bytes>>,
    authority: String,
}

impl Connection {
    /// Connects (with `TCP_NODELAY`, as every HTTP client does) and performs the handshake.
    ///
    /// # Errors
    /// The TCP connection or the handshake failed.
    pub async fn open(target: &Target) -> anyhow::Result<Connection> {
        let stream = TcpStream::connect(&target.authority)
            .await
            .with_context(|| format!("cannot connect to {}", target.authority))?;
        stream.set_nodelay(true)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .context("HTTP handshake failed")?;
        // The connection task ends when the server closes the socket or the sender is dropped.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Connection {
            sender,
            authority: target.authority.clone(),
        })
    }

    /// Sends `outgoing` and reads the whole response.
    ///
    /// # Errors
    /// The connection broke (the server closed or died) before the whole response arrived.
    pub async fn send(&mut self, outgoing: &Outgoing) -> anyhow::Result<Incoming> {
        self.sender
            .ready()
            .await
            .map_err(|e| anyhow!("connection closed: {e}"))?;
        let mut builder = Request::builder()
            .method(outgoing.method.clone())
            .uri(&outgoing.path)
            .header(hyper::header::HOST, &self.authority);
        if let Some(content_type) = outgoing.content_type {
            builder = builder.header(hyper::header::CONTENT_TYPE, content_type);
        }
        let request = builder.body(Full::new(outgoing.body.clone()))?;
        let response = self.sender.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        Ok(Incoming { status, body })
    }
}

/// Sends one request on a fresh connection (setup and probes, not load).
///
/// # Errors
/// As [`Connection::open`] and [`Connection::send`].
pub async fn once(target: &Target, outgoing: &Outgoing) -> anyhow::Result<Incoming> {
    let mut connection = Connection::open(target).await?;
    connection.send(outgoing).await
}

/// Waits until the server answers any HTTP request, or `timeout` passes.
///
/// # Errors
/// The server did not answer in time.
pub async fn wait_ready(target: &Target, timeout: Duration) -> anyhow::Result<Duration> {
    let start = tokio::time::Instant::now();
    loop {
        if once(target, &Outgoing::get("/api/v1/chats?limit=1"))
            .await
            .is_ok()
        {
            return Ok(start.elapsed());
        }
        if start.elapsed() > timeout {
            bail!("{} did not answer within {timeout:?}", target.authority);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_with_scheme_and_path_gives_its_authority() {
        let target = Target::parse("http://127.0.0.1:8765/cgi-bin/webhook/send").unwrap();
        assert_eq!(target.authority, "127.0.0.1:8765");
        assert_eq!(
            Target::parse("localhost:1").unwrap().authority,
            "localhost:1"
        );
    }

    #[test]
    fn https_and_empty_urls_are_refused() {
        assert!(Target::parse("https://example.com").is_err());
        assert!(Target::parse("http://").is_err());
    }
}
