//! Escaping and URL checks: the two primitives the whole crate's safety rests on.
//!
//! Every attribute this crate writes is double-quoted and every value goes through
//! [`escape_into`], which escapes the five HTML-significant characters. Because `&` is escaped,
//! the browser decodes an attribute back to exactly the string checked here, so an entity-encoded
//! scheme (`javascript&#58;...`) stays inert text instead of becoming a scheme.

/// Escapes `text` for use both as element content and as a double- or single-quoted attribute
/// value.
pub fn escape_into(text: &str, out: &mut String) {
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // NUL is replaced by browsers anyway; dropping it keeps snapshots printable.
            '\0' => {}
            _ => out.push(ch),
        }
    }
}

/// [`escape_into`] as a new string.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(text, &mut out);
    out
}

/// The URL to use as a link or image source if `url` (from a message) is an absolute `http` or
/// `https` URL, else `None`.
///
/// Browsers strip leading and trailing spaces and control characters and ignore tabs and newlines
/// anywhere in a URL (`java\tscript:` is `javascript:`), so surrounding whitespace is trimmed and
/// any control character inside rejects the URL outright rather than guessing how it would be
/// read. The scheme is compared case-insensitively, as browsers do.
pub fn web_url(url: &str) -> Option<&str> {
    let url = url.trim_matches(|c: char| c == ' ' || c.is_ascii_control());
    if url.chars().any(|c| c.is_control()) {
        return None;
    }
    let (scheme, _) = url.split_once(':')?;
    if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") {
        Some(url)
    } else {
        None
    }
}

/// The URL to use for a link or image the server itself provides through the context (a media
/// download, the picture of an image message): a [`web_url`] or a path on the same origin.
///
/// These do not come from the sender, but they are checked all the same: a path must start with a
/// single `/` (`//host` and `/\host` are other origins to a browser).
pub fn server_url(url: &str) -> Option<&str> {
    if let Some(url) = web_url(url) {
        return Some(url);
    }
    let is_path = url.starts_with('/')
        && !url.starts_with("//")
        && !url.starts_with("/\\")
        && !url.chars().any(|c| c.is_control());
    is_path.then_some(url)
}

/// Normalises a button colour (`#2EAB49`, or `2EAB49` as in WeCom's passive-reply example) to
/// `#rrggbb`; anything else is refused, so only a hex colour can ever reach a stylesheet.
pub fn hex_colour(colour: &str) -> Option<String> {
    let hex = colour.trim();
    let hex = hex.strip_prefix('#').unwrap_or(hex);
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    match hex.len() {
        6 => Some(format!("#{}", hex.to_ascii_lowercase())),
        3 => {
            let doubled: String = hex
                .chars()
                .flat_map(|c| [c, c])
                .collect::<String>()
                .to_ascii_lowercase();
            Some(format!("#{doubled}"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_five_significant_characters_are_escaped() {
        assert_eq!(
            escape(r#"<a href="x" title='y'>&</a>"#),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn chinese_text_and_emoji_pass_through_unchanged() {
        assert_eq!(escape("广州今日天气😀"), "广州今日天气😀");
    }

    #[test]
    fn http_and_https_urls_are_web_urls_in_any_case() {
        assert_eq!(
            web_url("https://work.weixin.qq.com"),
            Some("https://work.weixin.qq.com")
        );
        assert_eq!(web_url("HTTP://example.com"), Some("HTTP://example.com"));
        assert_eq!(
            web_url("  https://example.com/a b "),
            Some("https://example.com/a b")
        );
    }

    #[test]
    fn other_schemes_and_relative_urls_are_not_web_urls() {
        for url in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "java\tscript:alert(1)",
            "https\n://example.com",
            "javascript&#58;alert(1)",
            "&#106;avascript:alert(1)",
            "//evil.example/x",
            "/relative",
            "URL",
            "",
        ] {
            assert_eq!(web_url(url), None, "{url:?}");
        }
    }

    #[test]
    fn server_urls_may_be_same_origin_paths_but_not_other_origins() {
        assert_eq!(server_url("/api/v1/media/m1"), Some("/api/v1/media/m1"));
        assert_eq!(
            server_url("http://127.0.0.1:1/x"),
            Some("http://127.0.0.1:1/x")
        );
        assert_eq!(server_url("//evil.example/x"), None);
        assert_eq!(server_url("/\\evil.example/x"), None);
        assert_eq!(server_url("javascript:alert(1)"), None);
    }

    #[test]
    fn button_colours_are_normalised_hex_or_refused() {
        assert_eq!(hex_colour("#2EAB49").as_deref(), Some("#2eab49"));
        assert_eq!(hex_colour("2EAB49").as_deref(), Some("#2eab49"));
        assert_eq!(hex_colour("#fA0").as_deref(), Some("#ffaa00"));
        assert_eq!(hex_colour("red"), None);
        assert_eq!(hex_colour("#2EAB49;background:url(x)"), None);
        assert_eq!(hex_colour("#12345"), None);
    }
}
