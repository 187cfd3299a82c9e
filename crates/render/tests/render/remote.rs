//! Remote pictures: no picture on another host is ever given a `src`, which would load it (and
//! tell the sender that the message was read) as soon as the inbox shows the message. Each waits
//! in `data-remote-src` for the reader; only the server's own same-origin pictures load at once.

use hookpit_render::ChatKind;

use crate::support::{
    OFFICIAL_MARKDOWN_V2, OFFICIAL_NEWS, OFFICIAL_NEWS_NOTICE, OFFICIAL_TEXT_NOTICE, render_json,
};
use crate::xss::{PAYLOADS, render_all};

const DOC_PICTURE: &str =
    "https://res.mail.qq.com/node/ww/wwopenmng/images/independent/doc/test_pic_msg1.png";
const CARD_ICON: &str = "https://wework.qpic.cn/wwpic/252813_jOfDHtcISzuodLa_1629280209/0";
const CARD_PICTURE: &str = "https://wework.qpic.cn/wwpic/354393_4zpkKXd7SrGMvfg_1629280616/0";

/// Picture URLs a tracker would use, in the spellings a browser accepts, for every field.
const TRACKERS: &[&str] = &[
    "https://tracker.example/p.png",
    "HTTP://tracker.example/p.png?id=1&u=2",
    " http://tracker.example/p.png ",
    "//tracker.example/p.png",
];

/// The values of every `attribute` (` src` or ` data-remote-src`) in `html`. The renderer escapes
/// every `"` of message text, so `name="` can only occur inside a tag.
fn values<'a>(html: &'a str, attribute: &str) -> Vec<&'a str> {
    let prefix = format!("{attribute}=\"");
    html.match_indices(&prefix)
        .map(|(at, _)| {
            let value = &html[at + prefix.len()..];
            &value[..value.find('"').unwrap_or(value.len())]
        })
        .collect()
}

fn is_same_origin_path(url: &str) -> bool {
    url.starts_with('/') && !url.starts_with("//") && !url.starts_with("/\\")
}

#[test]
fn the_official_examples_name_their_pictures_but_load_none() {
    for (json, pictures) in [
        (OFFICIAL_MARKDOWN_V2, vec![DOC_PICTURE]),
        (OFFICIAL_NEWS, vec![DOC_PICTURE]),
        (OFFICIAL_TEXT_NOTICE, vec![CARD_ICON]),
        (
            OFFICIAL_NEWS_NOTICE,
            vec![CARD_ICON, CARD_PICTURE, CARD_PICTURE],
        ),
    ] {
        let html = render_json(json, ChatKind::Group, None).html;
        assert_eq!(values(&html, " src"), Vec::<&str>::new(), "{html}");
        assert_eq!(values(&html, " data-remote-src"), pictures, "{html}");
        assert_eq!(
            html.matches("<span class=\"hp-remote-note\">").count(),
            pictures.len(),
            "each picture waits behind a note: {html}"
        );
    }
}

#[test]
fn no_payload_in_any_field_gives_a_picture_a_src_on_another_host() {
    for payload in PAYLOADS.iter().chain(TRACKERS) {
        for (json, html) in render_all(payload) {
            for src in values(&html, " src") {
                assert!(is_same_origin_path(src), "src {src:?} in {json}\n{html}");
            }
        }
    }
}

#[test]
fn a_tracker_in_every_picture_field_waits_in_data_remote_src() {
    let (_, html) = render_all("https://tracker.example/p.png")
        .into_iter()
        .find(|(json, _)| json["template_card"]["card_type"] == "news_notice")
        .expect("a news_notice card");
    assert_eq!(
        values(&html, " data-remote-src"),
        ["https://tracker.example/p.png"; 3],
        "source.icon_url, card_image.url, image_text_area.image_url: {html}"
    );
}

#[test]
fn the_servers_own_pictures_load_at_once() {
    let image = r##"{"msgtype": "image", "image": {"base64": "DATA", "md5": "MD5"}}"##;
    let html = render_json(image, ChatKind::Group, Some("/api/v1/messages/42/image")).html;
    assert_eq!(values(&html, " src"), ["/api/v1/messages/42/image"]);
    let miniprogram = r##"{"msgtype": "miniprogram", "miniprogram": {"title": "小程序测试消息",
        "pic_media_id": "MEDIA_ID", "appid": "wx8bd80126147dfAAA", "page": "/path/index.html"}}"##;
    let html = render_json(miniprogram, ChatKind::Group, None).html;
    assert_eq!(values(&html, " src"), ["/api/v1/media/MEDIA_ID"]);
    assert!(!html.contains("hp-remote"), "{html}");
}

#[test]
fn an_absolute_url_from_the_server_waits_like_any_other_host() {
    let image = r##"{"msgtype": "image", "image": {"base64": "DATA", "md5": "MD5"}}"##;
    let html = render_json(image, ChatKind::Group, Some("https://cdn.example/7.png")).html;
    assert_eq!(values(&html, " src"), Vec::<&str>::new(), "{html}");
    assert_eq!(
        values(&html, " data-remote-src"),
        ["https://cdn.example/7.png"]
    );
    assert!(
        html.contains("<div class=\"hp-image hp-remote\">"),
        "{html}"
    );
}

#[test]
fn a_remote_url_is_escaped_and_only_http_urls_become_one() {
    let json = serde_json::json!({"msgtype": "news", "news": {"articles": [
        {"title": "a", "url": "https://a.example", "picurl": "https://a.example/p.png?a=1&b=\"><img src=x>"},
        {"title": "b", "url": "https://a.example", "picurl": "javascript:alert(1)"},
        {"title": "c", "url": "https://a.example", "picurl": "data:image/png;base64,AAAA"}
    ]}});
    let html = render_json(&json.to_string(), ChatKind::Group, None).html;
    assert!(
        html.contains(
            " data-remote-src=\"https://a.example/p.png?a=1&amp;b=&quot;&gt;&lt;img src=x&gt;\""
        ),
        "{html}"
    );
    assert_eq!(values(&html, " data-remote-src").len(), 1, "{html}");
    assert_eq!(values(&html, " src"), Vec::<&str>::new(), "{html}");
}
