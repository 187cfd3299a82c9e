//! Reading what the user points at: a file, or stdin for `-`, with errors that name the file.

use std::io::{IsTerminal as _, Read as _};
use std::path::Path;

use hookpit_server::config::{TokenFileError, read_token_file};

use crate::report::Failure;

/// Whether `path` means stdin.
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// How to name `path` in messages.
pub fn display(path: &Path) -> String {
    if is_stdin(path) {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    }
}

/// The bytes of `path`, or of stdin for `-`.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, Failure> {
    if is_stdin(path) {
        return read_stdin_bytes();
    }
    std::fs::read(path)
        .map_err(|error| Failure::invalid(format!("cannot read {}: {error}", path.display())))
}

/// The UTF-8 text of `path`, or of stdin for `-`.
pub fn read_text(path: &Path) -> Result<String, Failure> {
    let bytes = read_bytes(path)?;
    String::from_utf8(bytes)
        .map_err(|_| Failure::invalid(format!("{} is not UTF-8 text", display(path))))
}

/// All of stdin as UTF-8 text, without the one newline that ends it (`echo` adds one).
pub fn read_stdin_text() -> Result<String, Failure> {
    let bytes = read_stdin_bytes()?;
    let mut text =
        String::from_utf8(bytes).map_err(|_| Failure::invalid("stdin is not UTF-8 text"))?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    Ok(text)
}

fn read_stdin_bytes() -> Result<Vec<u8>, Failure> {
    // Waiting for a person to type a message and press Ctrl-D is never what they meant.
    if std::io::stdin().is_terminal() {
        return Err(Failure::invalid(
            "nothing to send: no argument or file, and stdin is a terminal",
        )
        .hint(
            "pass the content as an argument or a file, or pipe it in: echo hi | hookpit send text",
        ));
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .map_err(|error| Failure::invalid(format!("cannot read stdin: {error}")))?;
    Ok(bytes)
}

/// The JSON value in `path` (or stdin).
pub fn read_json(path: &Path) -> Result<serde_json::Value, Failure> {
    let bytes = read_bytes(path)?;
    serde_json::from_slice(&bytes)
        .map_err(|error| Failure::invalid(format!("{} is not JSON: {error}", display(path))))
}

/// The admin token of `--admin-token`, or else of `--admin-token-file` (its first line, as the
/// server reads it, surrounding whitespace ignored); `None` without either.
pub fn admin_token(token: Option<&str>, file: Option<&Path>) -> Result<Option<String>, Failure> {
    match (token, file) {
        (Some(token), _) => Ok(Some(token.trim().to_owned())),
        (None, Some(path)) => match read_token_file(path) {
            Ok(token) => Ok(Some(token)),
            Err(TokenFileError::Unreadable(error)) => Err(Failure::invalid(format!(
                "cannot read the admin token file {}: {error}",
                path.display()
            ))),
            Err(TokenFileError::Empty) => Err(Failure::invalid(format!(
                "the admin token file {} is empty: its first line is the token",
                path.display()
            ))),
        },
        (None, None) => Ok(None),
    }
}
