//! The markdown (v1) renderer on any content: it never panics and its HTML passes the render
//! crate's strict checker (`crates/render/tests/render/checker.rs`: only its own tags, classes
//! and safe URLs, well nested), and the HTML grows linearly with the content: no construct may
//! multiply, as 4 KB of markdown must not become megabytes of HTML in the inbox.
#![no_main]

use hookpit_protocol::Message;
use hookpit_protocol::message::Markdown;
use hookpit_render::{Context, MemoryUsers, NoMedia, render};
use libfuzzer_sys::fuzz_target;

#[path = "../../crates/render/tests/render/checker.rs"]
mod checker;

/// The most HTML one byte of content may become: an empty line inside a coloured font is 71
/// bytes of markup; an escaped `"` is 6.
const GROWTH: usize = 128;
/// What any content may add on top: the bubble around it.
const FIXED: usize = 4096;

fuzz_target!(|content: &[u8]| {
    let content = String::from_utf8_lossy(content).into_owned();
    let content_len = content.len();
    let message = Message::from(Markdown {
        content,
        ..Markdown::default()
    });
    let users = MemoryUsers::new()
        .with("zhangsan", "张三", "13800001111")
        .with("lisi", "李四<b>", "");
    let context = Context {
        users: &users,
        media: &NoMedia,
        ..Context::offline()
    };
    let html = render(&message, &context).html;
    let problems = checker::violations(&html);
    assert!(problems.is_empty(), "{problems:?}\n{html}");
    assert!(
        html.len() <= GROWTH * content_len + FIXED,
        "{content_len} bytes of content became {} bytes of HTML",
        html.len()
    );
});
