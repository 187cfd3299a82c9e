//! The XML of callbacks: a reader into a small element tree, and a writer of CDATA elements.
//!
//! WeCom's documents are flat (`<xml>` and at most four levels of elements with text), so a tree
//! is simpler to query than a stream of events and costs nothing at that size. The reader takes
//! what WeCom and the sample libraries send: values with or without CDATA, whitespace around them
//! (the official text example has `<WebhookUrl> <![CDATA[…]]>`), any element order, the five
//! predefined entities and numeric character references (`&#20320;`). It expands no other entity
//! (no DTD is read, so no entity bombs) and refuses nesting deeper than [`MAX_DEPTH`].

use std::fmt::Display;

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};

/// How deep elements may nest: WeCom's deepest is `xml/MixedMessage/MsgItem/Text/Content` (5).
/// The bound keeps a hostile document from building a tree whose drop overflows the stack.
pub(crate) const MAX_DEPTH: usize = 16;

/// Why a document is not well-formed XML, or not XML this crate reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed XML at byte {position}: {reason}")]
pub struct XmlError {
    position: u64,
    reason: String,
}

impl XmlError {
    fn new(position: u64, reason: impl Into<String>) -> XmlError {
        XmlError {
            position,
            reason: reason.into(),
        }
    }

    /// The byte offset in the document where reading stopped.
    pub fn position(&self) -> u64 {
        self.position
    }
}

/// One element: its name, its text (CDATA and references resolved, outer whitespace trimmed)
/// and its child elements. Attributes are dropped: WeCom's documents have none.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Element {
    pub(crate) name: String,
    pub(crate) text: String,
    pub(crate) children: Vec<Element>,
}

impl Element {
    /// The first child called `name`.
    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|child| child.name == name)
    }

    /// Every child called `name`, in document order.
    pub(crate) fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |child| child.name == name)
    }

    /// The text of the first child called `name`.
    pub(crate) fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name).map(|child| child.text.as_str())
    }
}

/// A piece of an element's text; only unquoted text is trimmed at the ends.
enum Piece {
    Text(String),
    Verbatim(String),
}

/// An element being read: the element and the pieces of its text so far.
struct Open {
    element: Element,
    pieces: Vec<Piece>,
}

/// Reads a whole document into its root element.
pub(crate) fn parse(document: &[u8]) -> Result<Element, XmlError> {
    let document = std::str::from_utf8(document).map_err(|error| {
        let position = u64::try_from(error.valid_up_to()).unwrap_or(u64::MAX);
        XmlError::new(position, "not UTF-8")
    })?;
    let document = document.strip_prefix('\u{feff}').unwrap_or(document);
    let mut reader = Reader::from_str(document);
    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|error| XmlError::new(reader.error_position(), error.to_string()))?;
        let position = reader.buffer_position();
        let outside = stack.is_empty();
        match event {
            Event::Start(start) | Event::Empty(start) if outside && root.is_some() => {
                let name = name(&start, position)?;
                return Err(XmlError::new(
                    position,
                    format!("<{name}> after the root element"),
                ));
            }
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError::new(
                        position,
                        format!("elements nested deeper than {MAX_DEPTH} levels"),
                    ));
                }
                stack.push(Open {
                    element: Element {
                        name: name(&start, position)?,
                        ..Element::default()
                    },
                    pieces: Vec::new(),
                });
            }
            Event::Empty(start) => {
                let element = Element {
                    name: name(&start, position)?,
                    ..Element::default()
                };
                attach(&mut stack, &mut root, element);
            }
            Event::End(_) => {
                // quick-xml checks that the end tag matches the open one.
                let Some(open) = stack.pop() else {
                    return Err(XmlError::new(position, "an end tag without a start tag"));
                };
                let mut element = open.element;
                element.text = join(open.pieces);
                attach(&mut stack, &mut root, element);
            }
            Event::Text(text) => {
                let text = text
                    .decode()
                    .map_err(|error| XmlError::new(position, error.to_string()))?;
                match stack.last_mut() {
                    Some(open) => open.pieces.push(Piece::Text(text.into_owned())),
                    None if text.trim().is_empty() => {}
                    None => return Err(XmlError::new(position, "text outside the root element")),
                }
            }
            Event::CData(data) => {
                let data = data
                    .decode()
                    .map_err(|error| XmlError::new(position, error.to_string()))?;
                let open = stack
                    .last_mut()
                    .ok_or_else(|| XmlError::new(position, "CDATA outside the root element"))?;
                open.pieces.push(Piece::Verbatim(data.into_owned()));
            }
            Event::GeneralRef(reference) => {
                let resolved = resolve(&reference, position)?;
                let open = stack.last_mut().ok_or_else(|| {
                    XmlError::new(position, "a reference outside the root element")
                })?;
                open.pieces.push(Piece::Verbatim(resolved));
            }
            Event::Eof => break,
            // Declarations, comments, processing instructions and DOCTYPE carry no data here.
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if let Some(open) = stack.last() {
        let name = &open.element.name;
        return Err(XmlError::new(
            reader.buffer_position(),
            format!("<{name}> is not closed"),
        ));
    }
    root.ok_or_else(|| XmlError::new(0, "no root element"))
}

fn name(start: &BytesStart<'_>, position: u64) -> Result<String, XmlError> {
    std::str::from_utf8(start.name().as_ref())
        .map(str::to_owned)
        .map_err(|_| XmlError::new(position, "an element name that is not UTF-8"))
}

/// Puts a finished element into its parent, or makes it the root.
fn attach(stack: &mut [Open], root: &mut Option<Element>, element: Element) {
    match stack.last_mut() {
        Some(parent) => parent.element.children.push(element),
        None => *root = Some(element),
    }
}

/// An element's text: whitespace outside CDATA at either end is layout, not data.
fn join(mut pieces: Vec<Piece>) -> String {
    if let Some(Piece::Text(first)) = pieces.first_mut() {
        *first = first.trim_start().to_owned();
    }
    if let Some(Piece::Text(last)) = pieces.last_mut() {
        *last = last.trim_end().to_owned();
    }
    pieces
        .into_iter()
        .map(|piece| match piece {
            Piece::Text(text) | Piece::Verbatim(text) => text,
        })
        .collect()
}

/// `&#20320;`, `&#x4F60;` and the five predefined entities; anything else is an error.
fn resolve(reference: &quick_xml::events::BytesRef<'_>, position: u64) -> Result<String, XmlError> {
    let invalid = |reason: String| XmlError::new(position, reason);
    if let Some(c) = reference
        .resolve_char_ref()
        .map_err(|error| invalid(error.to_string()))?
    {
        return Ok(c.to_string());
    }
    let name = reference
        .decode()
        .map_err(|error| invalid(error.to_string()))?;
    resolve_predefined_entity(&name)
        .map(str::to_owned)
        .ok_or_else(|| invalid(format!("unknown entity &{name};")))
}

/// Builds a document rooted at `<xml>` whose values are CDATA sections.
pub(crate) struct XmlWriter {
    out: String,
}

impl XmlWriter {
    /// A document with its root element open.
    pub(crate) fn new() -> XmlWriter {
        XmlWriter {
            out: String::from("<xml>"),
        }
    }

    /// `<name><![CDATA[value]]></name>`; a `]]>` in the value is split over two sections.
    pub(crate) fn cdata(&mut self, name: &str, value: &str) -> &mut XmlWriter {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push_str("><![CDATA[");
        self.out.push_str(&value.replace("]]>", "]]]]><![CDATA[>"));
        self.out.push_str("]]></");
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    /// `<name>value</name>` for a value with no markup characters (a number).
    pub(crate) fn plain(&mut self, name: &str, value: impl Display) -> &mut XmlWriter {
        self.out.push_str(&format!("<{name}>{value}</{name}>"));
        self
    }

    /// Opens `<name>`.
    pub(crate) fn open(&mut self, name: &str) -> &mut XmlWriter {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    /// Closes `</name>`.
    pub(crate) fn close(&mut self, name: &str) -> &mut XmlWriter {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    /// The document, with its root closed.
    pub(crate) fn finish(mut self) -> String {
        self.out.push_str("</xml>");
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdata_plain_text_and_references_read_the_same() {
        for document in [
            "<xml><A><![CDATA[你好 <b>]]></A></xml>",
            "<xml><A>&#20320;&#x597D; &lt;b&gt;</A></xml>",
            "<xml>\n  <A>\n    <![CDATA[你好 <b>]]>\n  </A>\n</xml>",
            "<xml><A> 你好 &lt;b> </A></xml>",
        ] {
            let root = parse(document.as_bytes()).unwrap();
            assert_eq!(root.text_of("A"), Some("你好 <b>"), "{document}");
        }
    }

    #[test]
    fn whitespace_inside_cdata_is_data() {
        let root = parse(b"<xml><A> <![CDATA[ x\n]]> </A></xml>").unwrap();
        assert_eq!(root.text_of("A"), Some(" x\n"));
    }

    #[test]
    fn a_cdata_terminator_in_a_value_survives_the_writer() {
        let mut writer = XmlWriter::new();
        writer.cdata("A", "a]]>b]]]>");
        let document = writer.finish();
        assert_eq!(
            parse(document.as_bytes()).unwrap().text_of("A"),
            Some("a]]>b]]]>")
        );
    }

    #[test]
    fn unknown_entities_deep_nesting_and_stray_content_are_refused() {
        let deep = format!(
            "{}{}",
            "<a>".repeat(MAX_DEPTH + 1),
            "</a>".repeat(MAX_DEPTH + 1)
        );
        for document in [
            "<xml><A>&nbsp;</A></xml>",
            "<xml><A>x</B></xml>",
            "<xml><A>x</A>",
            "<xml/><xml/>",
            "<xml/>trailing",
            "",
            "just text",
            deep.as_str(),
        ] {
            assert!(parse(document.as_bytes()).is_err(), "{document:?}");
        }
    }
}
