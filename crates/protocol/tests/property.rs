//! Property tests: the parsers never panic, and every valid message round-trips through the wire.

use std::time::Duration;

use hookpit_protocol::card::{
    CardAction, CardImage, CardSource, EmphasisContent, HorizontalContent, ImageTextArea, Jump,
    MainTitle, QuoteArea, VerticalContent,
};
use hookpit_protocol::message::{
    Action, Article, Attachment, Markdown, MarkdownV2, MediaRef, Miniprogram, News, Text,
};
use hookpit_protocol::upload::{AMR_MAGIC, validate_upload};
use hookpit_protocol::validate::image_body;
use hookpit_protocol::{
    MediaKind, Message, SendRequest, SlidingWindow, TemplateCard, parse_send, truncate_utf8,
};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// Any JSON value, up to a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "\\PC{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((field_name(), inner), 0..8)
                .prop_map(|members| Value::Object(members.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Field names of the wire model, and a few others, so generated objects reach deep checks.
fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "content",
            "mentioned_list",
            "attachments",
            "callback_id",
            "actions",
            "name",
            "text",
            "type",
            "value",
            "replace_text",
            "articles",
            "title",
            "description",
            "url",
            "picurl",
            "media_id",
            "base64",
            "md5",
            "card_type",
            "main_title",
            "card_action",
            "card_image",
            "aspect_ratio",
            "horizontal_content_list",
            "jump_list",
            "vertical_content_list",
            "keyname",
            "userid",
            "appid",
            "image_text_area",
            "image_url",
            "quote_area",
            "source",
            "desc_color",
            "sub_title_text",
            "pic_media_id",
            "page",
            "chatid",
        ])
        .prop_map(str::to_owned),
        "[a-z_]{1,8}",
    ]
}

fn msgtype_name() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "text",
        "markdown",
        "markdown_v2",
        "image",
        "news",
        "file",
        "voice",
        "template_card",
        "miniprogram",
    ])
}

/// A request whose msgtype is real and whose body is arbitrary JSON.
fn typed_noise() -> impl Strategy<Value = Value> {
    (msgtype_name(), json_value(), prop::option::of(json_value())).prop_map(
        |(name, body, chatid)| {
            let mut object = Map::new();
            object.insert("msgtype".to_owned(), Value::from(name));
            object.insert(name.to_owned(), body);
            if let Some(chatid) = chatid {
                object.insert("chatid".to_owned(), chatid);
            }
            Value::Object(object)
        },
    )
}

fn word() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9中文字]{1,20}"
}

fn text_message() -> impl Strategy<Value = Message> {
    (
        "\\PC{1,200}",
        prop::option::of(prop::collection::vec(word(), 0..4)),
        prop::option::of(prop::collection::vec("[0-9]{11}", 0..4)),
    )
        .prop_map(|(content, mentioned_list, mentioned_mobile_list)| {
            Message::from(Text {
                content,
                mentioned_list,
                mentioned_mobile_list,
            })
        })
}

fn action() -> impl Strategy<Value = Action> {
    (
        word(),
        word(),
        word(),
        word(),
        prop::option::of("#[0-9A-F]{6}"),
    )
        .prop_map(|(name, text, value, replace_text, color)| Action {
            name,
            text,
            kind: "button".to_owned(),
            value,
            replace_text,
            border_color: color.clone(),
            text_color: color,
        })
}

fn markdown_message() -> impl Strategy<Value = Message> {
    let attachment =
        (word(), prop::collection::vec(action(), 1..=20)).prop_map(|(callback_id, actions)| {
            Attachment {
                callback_id,
                actions,
            }
        });
    (
        "\\PC{1,300}",
        prop::option::of(any::<bool>()),
        prop::option::of(prop::collection::vec(attachment, 0..3)),
    )
        .prop_map(|(content, at_short_name, attachments)| {
            Message::from(Markdown {
                content,
                at_short_name,
                attachments,
            })
        })
}

fn news_message() -> impl Strategy<Value = Message> {
    let article = (
        word(),
        prop::option::of("\\PC{0,100}"),
        word(),
        prop::option::of(word()),
    )
        .prop_map(|(title, description, url, picurl)| Article {
            title,
            description,
            url,
            picurl,
        });
    prop::collection::vec(article, 1..=8).prop_map(|articles| Message::from(News { articles }))
}

fn image_message() -> impl Strategy<Value = Message> {
    prop::collection::vec(any::<u8>(), 0..512).prop_map(|tail| {
        let mut picture = b"\x89PNG\r\n\x1a\n".to_vec();
        picture.extend(tail);
        Message::from(image_body(&picture))
    })
}

fn media_message() -> impl Strategy<Value = Message> {
    ("[A-Za-z0-9_-]{1,64}", any::<bool>()).prop_map(|(media_id, voice)| {
        let media = MediaRef { media_id };
        if voice {
            Message::Voice { voice: media }
        } else {
            Message::File { file: media }
        }
    })
}

fn miniprogram_message() -> impl Strategy<Value = Message> {
    (word(), word(), word(), word()).prop_map(|(title, pic_media_id, appid, page)| {
        Message::from(Miniprogram {
            title,
            pic_media_id,
            appid,
            page,
        })
    })
}

/// Click fields valid for `kind` (0 none, 1 URL, 2 mini-program).
fn click(kind: i64, text: &str) -> (Option<String>, Option<String>) {
    match kind {
        1 => (Some(format!("https://example.com/{text}")), None),
        2 => (None, Some(format!("wx{text}"))),
        _ => (None, None),
    }
}

fn horizontal(kind: i64, text: String) -> HorizontalContent {
    let (url, _) = click(kind.min(1), &text);
    HorizontalContent {
        keyname: Some(text.clone()),
        value: Some(text.clone()),
        kind: (kind > 0).then_some(kind),
        url,
        media_id: (kind == 2).then(|| text.clone()),
        userid: (kind == 3).then_some(text),
    }
}

fn jump(kind: i64, text: String) -> Jump {
    let (url, appid) = click(kind, &text);
    Jump {
        kind: Some(kind),
        title: Some(text),
        url,
        appid,
        pagepath: None,
    }
}

fn card_message() -> impl Strategy<Value = Message> {
    (
        any::<bool>(),
        word(),
        1..=2_i64,
        prop::option::of(0..=3_i64),
        prop::collection::vec((0..=3_i64, word()), 0..=6),
        prop::collection::vec((0..=2_i64, word()), 0..=3),
        prop::collection::vec(word(), 0..=4),
        1.3_f64..=2.25,
        prop::option::of(0..=2_i64),
        prop::option::of(0..=2_i64),
        any::<bool>(),
    )
        .prop_map(
            |(
                news,
                title,
                action_kind,
                desc_color,
                rows,
                jumps,
                verticals,
                ratio,
                area_kind,
                quote_kind,
                text_blocks,
            )| {
                let (url, appid) = click(action_kind, &title);
                let mut card = TemplateCard {
                    card_type: if news { "news_notice" } else { "text_notice" }.to_owned(),
                    source: desc_color.map(|color| CardSource {
                        icon_url: None,
                        desc: Some(title.clone()),
                        desc_color: Some(color),
                    }),
                    main_title: Some(MainTitle {
                        title: Some(title.clone()),
                        desc: None,
                    }),
                    horizontal_content_list: Some(
                        rows.into_iter()
                            .map(|(kind, text)| horizontal(kind, text))
                            .collect(),
                    ),
                    jump_list: Some(
                        jumps
                            .into_iter()
                            .map(|(kind, text)| jump(kind, text))
                            .collect(),
                    ),
                    card_action: Some(CardAction {
                        kind: Some(action_kind),
                        url,
                        appid,
                        pagepath: None,
                    }),
                    ..TemplateCard::default()
                };
                card.quote_area = quote_kind.map(|kind| {
                    let (url, appid) = click(kind, &title);
                    QuoteArea {
                        kind: Some(kind),
                        url,
                        appid,
                        title: Some(title.clone()),
                        quote_text: Some(format!("{title}\n{title}")),
                        ..QuoteArea::default()
                    }
                });
                if text_blocks && !news {
                    card.emphasis_content = Some(EmphasisContent {
                        title: Some("100".to_owned()),
                        desc: Some(title.clone()),
                    });
                    card.sub_title_text = Some(title.clone());
                }
                if news {
                    card.card_image = Some(CardImage {
                        url: Some(format!("https://example.com/{title}.png")),
                        aspect_ratio: Some(ratio),
                    });
                    card.vertical_content_list = Some(
                        verticals
                            .into_iter()
                            .map(|title| VerticalContent {
                                title: Some(title),
                                desc: None,
                            })
                            .collect(),
                    );
                    card.image_text_area = area_kind.map(|kind| {
                        let (url, appid) = click(kind, &title);
                        ImageTextArea {
                            kind: Some(kind),
                            url,
                            appid,
                            image_url: Some("https://example.com/i.png".to_owned()),
                            ..ImageTextArea::default()
                        }
                    });
                }
                Message::from(card)
            },
        )
}

fn valid_message() -> impl Strategy<Value = Message> {
    prop_oneof![
        text_message(),
        markdown_message(),
        "\\PC{1,300}".prop_map(|content| Message::from(MarkdownV2 { content })),
        image_message(),
        news_message(),
        media_message(),
        card_message(),
        miniprogram_message(),
    ]
}

fn valid_request() -> impl Strategy<Value = SendRequest> {
    (
        valid_message(),
        prop::option::of(prop::collection::vec("[a-zA-Z0-9@_]{1,12}", 1..=5)),
        prop::option::of(word()),
        prop::option::of("[a-z]{1,8}(\\|[a-z]{1,8}){0,3}"),
    )
        .prop_map(|(message, chatids, post_id, visible_to_user)| SendRequest {
            chatid: chatids.map(|ids| ids.join("|")),
            post_id,
            visible_to_user,
            message,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_send(&body);
    }

    #[test]
    fn arbitrary_json_never_panics(value in json_value()) {
        let _ = parse_send(&serde_json::to_vec(&value).unwrap());
    }

    #[test]
    fn arbitrary_bodies_of_real_types_never_panic(value in typed_noise()) {
        let _ = parse_send(&serde_json::to_vec(&value).unwrap());
    }

    #[test]
    fn valid_messages_round_trip(request in valid_request()) {
        let body = serde_json::to_vec(&request).unwrap();
        let accepted = parse_send(&body);
        prop_assert!(accepted.is_ok(), "{:?} for {}", accepted.err(), String::from_utf8_lossy(&body));
        prop_assert_eq!(accepted.unwrap().request, request);
    }

    #[test]
    fn uploads_of_arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256), amr in any::<bool>()) {
        let mut upload = if amr { AMR_MAGIC.to_vec() } else { Vec::new() };
        upload.extend(bytes);
        for kind in MediaKind::ALL {
            let _ = validate_upload(kind, &upload);
        }
    }

    #[test]
    fn truncation_keeps_the_longest_valid_prefix(text in "\\PC{0,40}", max in 0_usize..100) {
        let cut = truncate_utf8(&text, max);
        prop_assert!(cut.len() <= max);
        prop_assert!(text.starts_with(cut));
        if let Some(next) = text[cut.len()..].chars().next() {
            prop_assert!(cut.len() + next.len_utf8() > max);
        }
    }

    #[test]
    fn a_sliding_window_never_admits_more_than_capacity_in_any_window(
        capacity in 1_usize..10,
        gaps in prop::collection::vec(0_u64..30, 1..200),
    ) {
        let window = Duration::from_secs(60);
        let mut limiter = SlidingWindow::new(capacity, window);
        let mut now = Duration::ZERO;
        let mut admitted: Vec<Duration> = Vec::new();
        for gap in gaps {
            now += Duration::from_secs(gap);
            if limiter.try_acquire(now).is_ok() {
                admitted.push(now);
            }
            let recent = admitted.iter().filter(|&&t| now - t < window).count();
            prop_assert!(recent <= capacity);
        }
    }
}
