//! What `hookpit serve`'s flags are parsed and checked with, here so that the CLI and the
//! server mean the same by them: listen addresses, the data directory, the admin token file,
//! and URLs shown with their password hidden.

use std::net::SocketAddr;

/// `url` with the password (if any) replaced by `***`: Redis and PostgreSQL URLs carry it as
/// `SCHEME://[USER]:PASSWORD@HOST…` (`--redis`, `--database`), and both are logged.
pub fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}{path}"),
        None => format!("{scheme}://{userinfo}@{host}{path}"),
    }
}

/// Why an admin token file gives no token.
#[derive(Debug)]
pub enum TokenFileError {
    /// It cannot be read.
    Unreadable(std::io::Error),
    /// Its first line is blank.
    Empty,
}

/// The admin token in the file at `path`: its first line, surrounding whitespace trimmed. The
/// server (`--admin-token-file`) and the client commands read it the same way.
///
/// # Errors
/// The file cannot be read, or its first line is blank.
pub fn read_token_file(path: &std::path::Path) -> Result<String, TokenFileError> {
    let text = std::fs::read_to_string(path).map_err(TokenFileError::Unreadable)?;
    let token = text.lines().next().unwrap_or_default().trim();
    if token.is_empty() {
        return Err(TokenFileError::Empty);
    }
    Ok(token.to_owned())
}

/// An address to listen on: `IP:PORT`, `[IPv6]:PORT`, `localhost:PORT` (loopback), or a bare
/// `PORT` (on 127.0.0.1).
///
/// # Errors
/// A sentence saying which forms are taken.
pub fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    if let Ok(port) = text.parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    if let Some(port) = text
        .strip_prefix("localhost:")
        .and_then(|port| port.parse::<u16>().ok())
    {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    Err(format!(
        "{text:?} is not an address to listen on: give IP:PORT (127.0.0.1:8765, [::1]:8765, \
         0.0.0.0:8765), localhost:PORT or a bare PORT"
    ))
}

/// Checks the data directory before the store opens it, so a mistake is named plainly: it is
/// a file, it cannot be created, it is not writable.
///
/// # Errors
/// A sentence naming the path and what is wrong.
pub fn check_data_dir(path: &std::path::Path) -> Result<(), String> {
    let shown = path.display();
    if path.exists() && !path.is_dir() {
        return Err(format!("--data {shown} is a file, not a directory"));
    }
    if let Err(error) = std::fs::create_dir_all(path) {
        return Err(format!("--data {shown} cannot be created: {error}"));
    }
    let probe = path.join(".hookpit-write-check");
    match std::fs::write(&probe, b"") {
        Ok(()) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(error) => Err(format!("--data {shown} is not writable: {error}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn listen_takes_addresses_localhost_and_bare_ports() {
        assert_eq!(
            parse_listen("0.0.0.0:80").unwrap(),
            "0.0.0.0:80".parse().unwrap()
        );
        assert_eq!(parse_listen("[::1]:9").unwrap(), "[::1]:9".parse().unwrap());
        assert_eq!(
            parse_listen("localhost:9000").unwrap(),
            "127.0.0.1:9000".parse().unwrap()
        );
        assert_eq!(
            parse_listen("9000").unwrap(),
            "127.0.0.1:9000".parse().unwrap()
        );
        assert!(
            parse_listen("example.com:80")
                .unwrap_err()
                .contains("localhost:PORT")
        );
    }

    #[test]
    fn a_data_path_that_is_a_file_or_not_writable_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, "x").unwrap();
        let error = check_data_dir(&file).unwrap_err();
        assert!(error.contains("is a file, not a directory"), "{error}");
        assert!(error.contains(&file.display().to_string()), "{error}");
        assert!(check_data_dir(&dir.path().join("new/sub")).is_ok());
        let error = check_data_dir(&file.join("below")).unwrap_err();
        assert!(error.contains("cannot be created"), "{error}");
    }

    #[test]
    fn the_admin_token_file_gives_its_first_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "s3cret\nignored\n").unwrap();
        let mut config = Config::new("d");
        config.admin_token_file = Some(path.clone());
        config.load_admin_token().unwrap();
        assert_eq!(config.admin_token.as_deref(), Some("s3cret"));

        std::fs::write(&path, "\n").unwrap();
        let mut empty = Config::new("d");
        empty.admin_token_file = Some(path.clone());
        let error = empty.load_admin_token().unwrap_err();
        assert!(error.contains("is empty"), "{error}");

        let mut missing = Config::new("d");
        missing.admin_token_file = Some(dir.path().join("nope"));
        let error = missing.load_admin_token().unwrap_err();
        assert!(error.contains("cannot read --admin-token-file"), "{error}");
        assert!(error.contains("nope"), "{error}");
    }
}
