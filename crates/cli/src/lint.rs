//! `hookpit lint`: checks a request offline with the server's own validation, then renders it to
//! find what WeCom would display differently from what was written.

use hookpit_client::protocol::{ErrorCode, parse_send};
use hookpit_render::lint::code;
use hookpit_render::{Context, Lint, lint_request, lint_send, render};
use serde::Serialize;

use crate::cli::LintArgs;
use crate::input;
use crate::report::{ExitCode, Failure, hint_for};

/// Lints that only say "this server does not know that user or media": offline nobody is known,
/// so they would fire on every mention and every media id.
const OFFLINE_NOISE: [&str; 3] = [
    code::UNKNOWN_USER,
    code::UNKNOWN_MOBILE,
    code::UNKNOWN_MEDIA,
];

/// The outcome of a lint, as `--json` prints it.
#[derive(Debug, Serialize)]
pub struct Report {
    pub valid: bool,
    /// `text` when valid (the message type), else absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msgtype: Option<&'static str>,
    pub errcode: i64,
    /// WeCom's errmsg text before its `, hint:` suffix; `ok` when valid.
    pub errmsg: String,
    pub warnings: Vec<Lint>,
}

/// Checks `body` as the server would, and renders it offline for lints.
pub fn check(body: &[u8]) -> Report {
    let mut warnings = Vec::new();
    let (valid, msgtype, error) = match parse_send(body) {
        Ok(send) => {
            let rendered = render(&send.request.message, &Context::offline());
            warnings.extend(
                rendered
                    .lints
                    .into_iter()
                    .filter(|lint| !OFFLINE_NOISE.contains(&lint.code)),
            );
            warnings.extend(lint_send(&send));
            (true, Some(send.msgtype().as_str()), ErrorCode::OK)
        }
        Err(error) => (false, None, error),
    };
    warnings.extend(lint_request(body));
    Report {
        valid,
        msgtype,
        errcode: error.code(),
        errmsg: error.text().to_owned(),
        warnings,
    }
}

/// Runs `hookpit lint`: the report on stdout; exit 2 when invalid, 1 for warnings with
/// `--deny-warnings`.
pub fn run(args: &LintArgs) -> Result<(), Failure> {
    let body = input::read_bytes(&args.file)?;
    let report = check(&body);
    let name = input::display(&args.file);
    if args.json {
        // A struct of strings, numbers and booleans always serializes.
        println!("{}", serde_json::to_string(&report).unwrap_or_default());
    } else {
        print!("{}", human(&name, &report));
    }
    if !report.valid {
        let failure = Failure::invalid(format!(
            "{name}: WeCom would refuse this message with errcode {}",
            report.errcode
        ));
        return Err(match hint_for(report.errcode) {
            Some(hint) => failure.hint(hint),
            None => failure,
        });
    }
    if args.deny_warnings && !report.warnings.is_empty() {
        let count = report.warnings.len();
        let plural = if count == 1 { "" } else { "s" };
        return Err(Failure {
            code: ExitCode::Other,
            message: format!("{name}: {count} warning{plural} (--deny-warnings)"),
            details: Vec::new(),
            hint: None,
        });
    }
    Ok(())
}

/// The human-readable report.
fn human(name: &str, report: &Report) -> String {
    let mut out = match report.msgtype {
        Some(msgtype) => format!("{name}: valid {msgtype} message\n"),
        None => format!(
            "{name}: invalid: errcode {} {}\n",
            report.errcode, report.errmsg
        ),
    };
    for lint in &report.warnings {
        out.push_str(&format!("warning[{}]: {}\n", lint.code, lint.message));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_message_reports_wecom_errcode_and_text() {
        let report = check(br#"{"msgtype":"text","text":{"content":""}}"#);
        assert!(!report.valid);
        assert_eq!(
            (report.errcode, report.errmsg.as_str()),
            (44004, "empty content")
        );
    }

    #[test]
    fn a_valid_message_reports_rendering_lints_but_not_unknown_users() {
        let report = check(
            r#"{"msgtype":"markdown","markdown":{"content":"<@zhangsan> <font color=\"red\">x</font>"}}"#
                .as_bytes(),
        );
        assert!(report.valid);
        let codes: Vec<&str> = report.warnings.iter().map(|lint| lint.code).collect();
        assert!(codes.contains(&code::UNSUPPORTED_COLOUR), "{codes:?}");
        assert!(!codes.contains(&code::UNKNOWN_USER), "{codes:?}");
    }
}
