//! `news`: one to eight link cards. The first article is large (its picture, the title over it
//! and, when it is the only one, the description); the others are rows with a thumbnail, as in
//! WeCom. Titles and descriptions are cut at 128 and 512 bytes ("超过会自动截断").

use hookpit_protocol::limit::{NEWS_DESCRIPTION_MAX_BYTES, NEWS_TITLE_MAX_BYTES};
use hookpit_protocol::message::{Article, News};
use hookpit_protocol::truncate_utf8;

use crate::Output;
use crate::html::web_url;
use crate::lint::code;
use crate::picture::{Picture, slot};

pub(crate) fn render(news: &News, out: &mut Output) {
    let single = news.articles.len() == 1;
    out.raw(if single {
        "<div class=\"hp-news hp-news-single\">"
    } else {
        "<div class=\"hp-news\">"
    });
    for (index, article) in news.articles.iter().enumerate() {
        let title = cut(
            article.title.as_str(),
            NEWS_TITLE_MAX_BYTES,
            index,
            "title",
            out,
        );
        let picture = article
            .picurl
            .as_deref()
            .and_then(|url| picture(url, index, out));
        if index == 0 {
            let class = if picture.is_some() {
                "hp-news-lead"
            } else {
                "hp-news-lead hp-news-nopic"
            };
            let tag = open_article(class, article, index, out);
            if picture.is_some() {
                slot(out, "span", "hp-news-cover", &[], picture, None, "");
            }
            out.element("span", "hp-news-lead-title", title);
            if single && let Some(description) = &article.description {
                let description = cut(
                    description,
                    NEWS_DESCRIPTION_MAX_BYTES,
                    index,
                    "description",
                    out,
                );
                out.element("span", "hp-news-desc", description);
            }
            out.close(tag);
        } else {
            let tag = open_article("hp-news-item", article, index, out);
            out.element("span", "hp-news-item-title", title);
            match picture {
                Some(_) => slot(out, "span", "hp-news-thumb", &[], picture, None, ""),
                None => out.raw("<span class=\"hp-news-thumb hp-news-thumb-missing\"></span>"),
            }
            out.close(tag);
        }
    }
    out.raw("</div>");
}

/// Opens the article as a link to its `url`, or as an inert `<div>` when the URL is not http(s).
fn open_article(class: &str, article: &Article, index: usize, out: &mut Output) -> &'static str {
    match web_url(&article.url) {
        Some(url) => {
            out.open_link(class, url);
            "a"
        }
        None => {
            out.lint(
                code::UNSAFE_URL,
                format!(
                    "articles[{index}].url {:?} is not an http(s) URL: the card opens nothing",
                    article.url
                ),
            );
            out.open("div", class);
            out.raw(">");
            "div"
        }
    }
}

/// The picture if its URL is http(s); WeCom's client would fail to load anything else.
fn picture<'a>(url: &'a str, index: usize, out: &mut Output) -> Option<Picture<'a>> {
    if url.is_empty() {
        return None;
    }
    let picture = Picture::from_sender(url);
    if picture.is_none() {
        out.lint(
            code::UNSAFE_URL,
            format!("articles[{index}].picurl {url:?} is not an http(s) URL: no picture is shown"),
        );
    }
    picture
}

/// `text` cut to `max` bytes on a char boundary, with a lint when something was cut.
fn cut<'a>(text: &'a str, max: usize, index: usize, field: &str, out: &mut Output) -> &'a str {
    let shown = truncate_utf8(text, max);
    if shown.len() < text.len() {
        out.lint(
            code::NEWS_TRUNCATED,
            format!(
                "articles[{index}].{field} is {} bytes; WeCom keeps only the first {max}",
                text.len()
            ),
        );
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(title: &str, url: &str, picurl: Option<&str>) -> Article {
        Article {
            title: title.into(),
            description: Some("今年中秋节公司有豪礼相送".into()),
            url: url.into(),
            picurl: picurl.map(Into::into),
        }
    }

    fn render_articles(articles: Vec<Article>) -> Output {
        let mut out = Output::default();
        render(&News { articles }, &mut out);
        out
    }

    #[test]
    fn a_single_article_is_a_large_card_with_its_description() {
        let out = render_articles(vec![article(
            "中秋节礼品领取",
            "https://example.com",
            Some("https://example.com/p.png"),
        )]);
        assert_eq!(
            out.html,
            "<div class=\"hp-news hp-news-single\"><a class=\"hp-news-lead\" \
             href=\"https://example.com\" rel=\"noopener noreferrer\" target=\"_blank\">\
             <span class=\"hp-news-cover hp-remote\"><img class=\"hp-remote-img\" \
             data-remote-src=\"https://example.com/p.png\" alt=\"\" referrerpolicy=\"no-referrer\">\
             <span class=\"hp-remote-note\"><span class=\"hp-remote-what\">图片未加载 · </span>点击加载\
             </span></span>\
             <span class=\"hp-news-lead-title\">中秋节礼品领取</span>\
             <span class=\"hp-news-desc\">今年中秋节公司有豪礼相送</span></a></div>"
        );
        assert!(out.lints.is_empty());
    }

    #[test]
    fn later_articles_are_rows_without_descriptions() {
        let out = render_articles(vec![
            article("一", "https://a.example", None),
            article("二", "https://b.example", None),
        ]);
        assert!(out.html.contains("hp-news-lead hp-news-nopic"));
        assert!(
            out.html
                .contains("<span class=\"hp-news-item-title\">二</span>")
        );
        assert!(!out.html.contains("hp-news-desc"));
    }

    #[test]
    fn a_long_title_is_cut_at_128_bytes_with_a_lint() {
        let out = render_articles(vec![article(&"字".repeat(50), "https://a.example", None)]);
        assert_eq!(out.html.matches('字').count(), 42);
        assert_eq!(out.lints[0].code, code::NEWS_TRUNCATED);
    }

    #[test]
    fn a_javascript_url_makes_an_inert_card() {
        let out = render_articles(vec![article(
            "x",
            "javascript:alert(1)",
            Some("data:image/png;base64,AAAA"),
        )]);
        assert!(!out.html.contains("<a"));
        assert!(!out.html.contains("<img"));
        assert_eq!(out.lints.len(), 2);
    }
}
