//! SQLite's statement text → PostgreSQL's, for the constructs the store's modules use that the
//! two spell differently. Everything else is written in the subset both accept.
//!
//! - Placeholders: `?1` (numbered) and `?` (next) become `$N`.
//! - `instr(` becomes `strpos(`.
//! - `INSERT OR IGNORE INTO …` at the start of a statement becomes
//!   `INSERT INTO … ON CONFLICT DO NOTHING` (before any `RETURNING`).
//!
//! Placeholders inside single quotes are left alone; the other rules apply to the statement's
//! text as the modules write it (no string literal of theirs holds those words).

/// The PostgreSQL spelling of `sql`.
pub fn to_postgres(sql: &str) -> String {
    let sql = placeholders(sql);
    // Same arguments (haystack, needle), same answer (1-based position, 0 when absent).
    let sql = sql.replace("instr(", "strpos(");
    insert_or_ignore(&sql)
}

fn placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut in_quote = false;
    let mut next = 0u32;
    while let Some(c) = chars.next() {
        if c == '\'' {
            in_quote = !in_quote;
            out.push(c);
            continue;
        }
        if c != '?' || in_quote {
            out.push(c);
            continue;
        }
        let mut digits = String::new();
        while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
            digits.push(d);
            chars.next();
        }
        out.push('$');
        if digits.is_empty() {
            next += 1;
            out.push_str(&next.to_string());
        } else {
            out.push_str(&digits);
        }
    }
    out
}

fn insert_or_ignore(sql: &str) -> String {
    // Only as the statement's start, where the modules write it.
    let Some(rest) = sql.trim_start().strip_prefix("INSERT OR IGNORE INTO") else {
        return sql.to_owned();
    };
    let mut out = String::with_capacity(sql.len() + 24);
    out.push_str("INSERT INTO");
    match rest.find("RETURNING") {
        Some(returning) => {
            out.push_str(rest[..returning].trim_end());
            out.push_str(" ON CONFLICT DO NOTHING ");
            out.push_str(&rest[returning..]);
        }
        None => {
            out.push_str(rest.trim_end().trim_end_matches(';'));
            out.push_str(" ON CONFLICT DO NOTHING");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::to_postgres;

    #[test]
    fn numbered_and_bare_placeholders_become_dollar_numbers_outside_quotes() {
        assert_eq!(
            to_postgres("SELECT a FROM t WHERE b = ?1 AND c = ?12 AND d = '?' AND e = ?2"),
            "SELECT a FROM t WHERE b = $1 AND c = $12 AND d = '?' AND e = $2"
        );
        assert_eq!(
            to_postgres("SELECT 1 WHERE a < ? AND b IN (?, ?)"),
            "SELECT 1 WHERE a < $1 AND b IN ($2, $3)"
        );
    }

    #[test]
    fn insert_or_ignore_becomes_on_conflict_do_nothing_before_returning() {
        assert_eq!(
            to_postgres("INSERT OR IGNORE INTO s (a, b) VALUES (?1, ?2)"),
            "INSERT INTO s (a, b) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        );
        assert_eq!(
            to_postgres("INSERT OR IGNORE INTO s (a) VALUES (?1) RETURNING a"),
            "INSERT INTO s (a) VALUES ($1) ON CONFLICT DO NOTHING RETURNING a"
        );
        assert_eq!(
            to_postgres("SELECT 'INSERT OR IGNORE INTO'"),
            "SELECT 'INSERT OR IGNORE INTO'"
        );
    }
}
