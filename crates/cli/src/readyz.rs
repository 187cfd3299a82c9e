//! `hookpit readyz`: asks a Hookpit's `/readyz` and exits 0 only on a 200, for a container's
//! `HEALTHCHECK` or a script that waits for the server.
//!
//! Every way of not being ready exits 1, where the other commands tell a network failure (4)
//! from a refusal (3): Docker reads 1 as "unhealthy" and reserves 2, and a health check has
//! only the one question. The message on stderr still says which it was.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use hookpit_server::config::{DEFAULT_LISTEN, parse_listen};

use crate::cli::ReadyzArgs;
use crate::input;
use crate::report::{Failure, chain};

/// Runs `hookpit readyz`: `ready: URL` on stdout when `/readyz` answers 200.
pub async fn run(args: ReadyzArgs) -> Result<(), Failure> {
    let url = readyz_url(args.url.as_deref(), |name| std::env::var(name).ok())?;
    let token = input::admin_token(
        args.admin_token.as_deref(),
        args.admin_token_file.as_deref(),
    )?;
    let client = reqwest::Client::builder()
        .timeout(args.timeout)
        .build()
        .map_err(|error| {
            Failure::other(format!(
                "cannot set up HTTP: {}",
                chain(&error.without_url())
            ))
        })?;
    let mut request = client.get(url.as_str());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = match request.send().await {
        Ok(response) => response,
        Err(error) => {
            let hint = if error.is_timeout() {
                format!(
                    "nothing answered within {} (--timeout): the server is stuck or the \
                     address drops packets",
                    humantime::format_duration(args.timeout)
                )
            } else {
                "is `hookpit serve` running, on this address? Without --url the address is \
                 HOOKPIT_METRICS_LISTEN, HOOKPIT_LISTEN or 127.0.0.1:8765"
                    .to_owned()
            };
            return Err(Failure::other(format!(
                "not ready: {url}: {}",
                chain(&error.without_url())
            ))
            .hint(hint));
        }
    };
    let status = response.status();
    if status == reqwest::StatusCode::OK {
        // Degraded is still ready (it accepts sends); say so, and why.
        let body = response.text().await.unwrap_or_default();
        match body.trim().strip_prefix("degraded: ") {
            Some(why) => println!("ready, degraded ({why}): {url}"),
            None => println!("ready: {url}"),
        }
        return Ok(());
    }
    let body = response.text().await.unwrap_or_default();
    let said: String = body.trim().chars().take(200).collect();
    let message = if said.is_empty() {
        format!("not ready: {url} answered {status}")
    } else {
        format!("not ready: {url} answered {status}: {said}")
    };
    let failure = Failure::other(message);
    Err(match status_hint(status.as_u16()) {
        Some(hint) => failure.hint(hint),
        None => failure,
    })
}

/// What a status other than 200 means here.
fn status_hint(status: u16) -> Option<&'static str> {
    Some(match status {
        401 => {
            "the server has an admin token: pass --admin-token (or HOOKPIT_ADMIN_TOKEN, \
             --admin-token-file), or ask its --metrics-listen address, which needs none"
        }
        403 => {
            "a server without --admin-token answers only its own machine under a loopback \
             name: ask it from there, or ask its --metrics-listen address"
        }
        503 => {
            "the server runs, but its store does not take writes (a full disk?): its log says why"
        }
        404 => "this address answers, but it is not a Hookpit's: check --url",
        _ => return None,
    })
}

/// The URL to ask: `--url` (a base URL, or the whole URL of `/readyz`), or else the address
/// `hookpit serve` would take from the same environment, read through `env`.
fn readyz_url(
    url: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<reqwest::Url, Failure> {
    if let Some(url) = url.map(str::trim).filter(|url| !url.is_empty()) {
        let whole = if url.trim_end_matches('/').ends_with("/readyz") {
            url.trim_end_matches('/').to_owned()
        } else {
            format!("{}/readyz", url.trim_end_matches('/'))
        };
        return match reqwest::Url::parse(&whole) {
            Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => Ok(parsed),
            _ => Err(
                Failure::invalid(format!("--url {url:?} is not an http(s) URL"))
                    .hint("--url takes the server's base URL, e.g. http://127.0.0.1:8765"),
            ),
        };
    }
    let (name, listen) = ["HOOKPIT_METRICS_LISTEN", "HOOKPIT_LISTEN"]
        .into_iter()
        .find_map(|name| {
            env(name)
                .filter(|value| !value.trim().is_empty())
                .map(|value| (name, value))
        })
        .unwrap_or(("the default", DEFAULT_LISTEN.to_owned()));
    let addr =
        parse_listen(&listen).map_err(|error| Failure::invalid(format!("{name}: {error}")))?;
    let addr = SocketAddr::new(reachable(addr.ip()), addr.port());
    reqwest::Url::parse(&format!("http://{addr}/readyz"))
        .map_err(|error| Failure::invalid(format!("{name}: {addr} makes no URL: {error}")))
}

/// The address to connect to for one listened on: an unspecified one (all interfaces) is asked
/// on loopback.
fn reachable(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(flag: Option<&str>, env: &[(&str, &str)]) -> Result<String, String> {
        readyz_url(flag, |name| {
            env.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
        .map(|url| url.to_string())
        .map_err(|failure| failure.message)
    }

    #[test]
    fn the_url_flag_takes_a_base_or_the_whole_readyz_url() {
        for flag in [
            "http://127.0.0.1:9000",
            "http://127.0.0.1:9000/",
            "http://127.0.0.1:9000/readyz",
        ] {
            assert_eq!(
                url(Some(flag), &[("HOOKPIT_LISTEN", "1")]).unwrap(),
                "http://127.0.0.1:9000/readyz"
            );
        }
        assert_eq!(
            url(Some("https://hub.example.com/hookpit"), &[]).unwrap(),
            "https://hub.example.com/hookpit/readyz"
        );
        assert!(
            url(Some("127.0.0.1:9000"), &[])
                .unwrap_err()
                .contains("is not an http(s) URL")
        );
    }

    #[test]
    fn without_the_flag_the_address_is_the_one_serve_would_take_from_the_environment() {
        assert_eq!(url(None, &[]).unwrap(), "http://127.0.0.1:8765/readyz");
        assert_eq!(
            url(None, &[("HOOKPIT_LISTEN", "0.0.0.0:80")]).unwrap(),
            "http://127.0.0.1/readyz"
        );
        assert_eq!(
            url(None, &[("HOOKPIT_LISTEN", "[::]:9000")]).unwrap(),
            "http://[::1]:9000/readyz"
        );
        // The metrics address needs no admin token, so it is the one to ask.
        assert_eq!(
            url(
                None,
                &[
                    ("HOOKPIT_LISTEN", "0.0.0.0:8765"),
                    ("HOOKPIT_METRICS_LISTEN", "9100")
                ]
            )
            .unwrap(),
            "http://127.0.0.1:9100/readyz"
        );
        let error = url(None, &[("HOOKPIT_LISTEN", "example.com:80")]).unwrap_err();
        assert!(
            error.starts_with("HOOKPIT_LISTEN: \"example.com:80\" is not an address"),
            "{error}"
        );
    }
}
