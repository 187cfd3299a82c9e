//! Helpers that write WeCom's markdown syntax: [`mention`] and [`font`] for `markdown`
//! messages, [`Table`] for `markdown_v2` ones.
//!
//! The two types differ (spec §2.2, §2.3): `markdown` has `<@userid>` mentions and three
//! `<font>` colours but no tables; `markdown_v2` has tables but shows mentions and `<font>`
//! tags as typed. Each helper says which type it is for.

use std::fmt;

/// An @-mention of a member in a `markdown` message: `<@userid>`. WeCom shows the member's name
/// (or short name, with [`at_short_name`](crate::Draft::at_short_name)) and notifies them.
/// `markdown_v2` shows the tag as typed.
///
/// # Examples
/// ```
/// use hookpit_client::markdown::mention;
/// use hookpit_client::message;
///
/// let content = format!("build failed, {} please look", mention("zhangsan"));
/// assert_eq!(content, "build failed, <@zhangsan> please look");
/// let draft = message::markdown(content);
/// ```
pub fn mention(userid: &str) -> String {
    format!("<@{userid}>")
}

/// The colours of `<font color="...">` in a `markdown` message: WeCom knows these three and no
/// others (any other value is shown in the default colour, and Hookpit lints it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Color {
    /// Green: `info`.
    Info,
    /// Grey: `comment`.
    Comment,
    /// Orange-red: `warning`.
    Warning,
}

impl Color {
    /// The attribute value, as WeCom spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Color::Info => "info",
            Color::Comment => "comment",
            Color::Warning => "warning",
        }
    }
}

impl fmt::Display for Color {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `text` in a colour, for a `markdown` message: `<font color="info">text</font>`.
/// `markdown_v2` has no colours and shows the tags as typed.
///
/// # Examples
/// ```
/// use hookpit_client::markdown::{Color, font};
///
/// let line = format!("deploy of web-1 {}", font(Color::Info, "done"));
/// assert_eq!(line, "deploy of web-1 <font color=\"info\">done</font>");
/// assert_eq!(font(Color::Warning, "3 failed"), "<font color=\"warning\">3 failed</font>");
/// ```
pub fn font(color: Color, text: &str) -> String {
    format!("<font color=\"{color}\">{text}</font>")
}

/// A table for a `markdown_v2` message (`markdown` has no tables), built row by row.
///
/// Cells are escaped: a `|` becomes `\|` so that it stays in its cell, and a line break becomes
/// a space (a table row is one line). Rows shorter than the header are padded with empty cells;
/// cells beyond the header's count are dropped, as markdown renderers drop them.
///
/// # Examples
/// ```
/// use hookpit_client::markdown::Table;
/// use hookpit_client::message;
///
/// let table = Table::new(["host", "load", "note"])
///     .row(["web-1", "0.7", "ok"])
///     .row(["web-2", "3.1", "disk | cpu"]);
/// assert_eq!(
///     table.to_string(),
///     "| host | load | note |\n\
///      | --- | --- | --- |\n\
///      | web-1 | 0.7 | ok |\n\
///      | web-2 | 3.1 | disk \\| cpu |\n"
/// );
/// let draft = message::markdown_v2(format!("**Load**\n\n{table}"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column titles and no rows yet.
    pub fn new<I, S>(header: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Table {
            header: header
                .into_iter()
                .map(|title| escape(title.as_ref()))
                .collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row.
    pub fn row<I, S>(mut self, cells: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.push_row(cells);
        self
    }

    /// Adds a row to a table held in a variable (e.g. in a loop).
    ///
    /// # Examples
    /// ```
    /// use hookpit_client::markdown::Table;
    ///
    /// let mut table = Table::new(["job", "result"]);
    /// for (job, ok) in [("build", true), ("test", false)] {
    ///     table.push_row([job, if ok { "passed" } else { "failed" }]);
    /// }
    /// assert_eq!(table.len(), 2);
    /// ```
    pub fn push_row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut row: Vec<String> = cells
            .into_iter()
            .take(self.header.len())
            .map(|cell| escape(cell.as_ref()))
            .collect();
        row.resize(self.header.len(), String::new());
        self.rows.push(row);
    }

    /// The number of rows, the header not counted.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no rows yet.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

impl fmt::Display for Table {
    /// The table in markdown, one line per row, each line ending with `\n`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_row(f, self.header.iter().map(String::as_str))?;
        write_row(f, self.header.iter().map(|_| "---"))?;
        for row in &self.rows {
            write_row(f, row.iter().map(String::as_str))?;
        }
        Ok(())
    }
}

fn write_row<'a>(f: &mut fmt::Formatter<'_>, cells: impl Iterator<Item = &'a str>) -> fmt::Result {
    f.write_str("|")?;
    for cell in cells {
        write!(f, " {cell} |")?;
    }
    f.write_str("\n")
}

/// A cell's text that stays in its cell: `|` escaped, line breaks as spaces.
fn escape(cell: &str) -> String {
    let mut out = String::with_capacity(cell.len());
    let mut chars = cell.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '|' => out.push_str("\\|"),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\r' | '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipes_and_line_breaks_stay_inside_their_cell() {
        let table = Table::new(["a|b"]).row(["line 1\r\nline 2\n"]);
        assert_eq!(table.to_string(), "| a\\|b |\n| --- |\n| line 1 line 2 |\n");
    }

    #[test]
    fn short_rows_are_padded_and_long_ones_cut_to_the_header() {
        let table = Table::new(["a", "b"]).row(["1"]).row(["1", "2", "3"]);
        assert_eq!(
            table.to_string(),
            "| a | b |\n| --- | --- |\n| 1 |  |\n| 1 | 2 |\n"
        );
    }

    #[test]
    fn the_built_markdown_passes_the_server_rules() {
        let content = format!(
            "{} {}\n\n",
            mention("zhangsan"),
            font(Color::Comment, "grey")
        );
        let request = crate::message::markdown(content).into_request();
        let body = serde_json::to_vec(&request).unwrap();
        hookpit_protocol::parse_send(&body).unwrap();
    }
}
