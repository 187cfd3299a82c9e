//! The directory the tests render against, the official examples that hold pictures, and helpers
//! to render a request's JSON.

use hookpit_protocol::SendRequest;
use hookpit_render::{ChatKind, Context, MediaInfo, MemoryMedia, MemoryUsers, Rendered, render};

/// The users of the official examples.
pub fn users() -> MemoryUsers {
    MemoryUsers::new()
        .with("zhangsan", "张三", "13800001111")
        .with("lisi", "李四", "13800002222")
        .with("wangqing", "王青", "")
}

/// The media ids of the official examples, as uploads of this server.
pub fn media() -> MemoryMedia {
    MemoryMedia::new()
        .with(
            "3a8asd892asd8asd",
            MediaInfo {
                filename: "wework.txt".into(),
                size: 6,
                download_url: "/api/v1/media/3a8asd892asd8asd".into(),
                voice_duration_ms: None,
            },
        )
        .with(
            "MEDIA_ID",
            MediaInfo {
                filename: "voice.amr".into(),
                size: 8_410,
                download_url: "/api/v1/media/MEDIA_ID".into(),
                voice_duration_ms: Some(5_360),
            },
        )
        .with(
            "MEDIAID",
            MediaInfo {
                filename: "企业微信.apk".into(),
                size: 312_475_648,
                download_url: "/api/v1/media/MEDIAID".into(),
                voice_duration_ms: None,
            },
        )
}

/// The official markdown_v2 example: every syntax, one picture.
pub const OFFICIAL_MARKDOWN_V2: &str = r##"{
    "chatid": "wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw",
    "msgtype": "markdown_v2",
    "visible_to_user": "zhangsan",
    "markdown_v2": {
        "content": "# 一、标题\n## 二级标题\n### 三级标题\n# 二、字体\n*斜体*\n\n**加粗**\n# 三、列表 \n- 无序列表 1 \n- 无序列表 2\n  - 无序列表 2.1\n  - 无序列表 2.2\n1. 有序列表 1\n2. 有序列表 2\n# 四、引用\n> 一级引用\n>>二级引用\n>>>三级引用\n# 五、链接\n[这是一个链接](https:work.weixin.qq.com\/api\/doc)\n![](https://res.mail.qq.com/node/ww/wwopenmng/images/independent/doc/test_pic_msg1.png)\n# 六、分割线\n\n---\n# 七、代码\n`这是行内代码`\n```\n这是独立代码块\n```\n\n# 八、表格\n| 姓名 | 文化衫尺寸 | 收货地址 |\n| :----- | :----: | -------: |\n| 张三 | S | 广州 |\n| 李四 | L | 深圳 |\n"
    }
}"##;

/// The official news example: one article with a picture.
pub const OFFICIAL_NEWS: &str = r##"{
    "chatid": "wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw",
    "msgtype": "news",
    "visible_to_user": "zhangsan",
    "news": {
       "articles" : [{
           "title" : "中秋节礼品领取",
           "description" : "今年中秋节公司有豪礼相送",
           "url" : "URL",
           "picurl" : "https://res.mail.qq.com/node/ww/wwopenmng/images/independent/doc/test_pic_msg1.png"
       }]
    }
}"##;

/// The official text_notice template card: a source icon.
pub const OFFICIAL_TEXT_NOTICE: &str = r##"{
  "msgtype": "template_card",
  "template_card": {
    "card_type": "text_notice",
    "source": {"icon_url": "https://wework.qpic.cn/wwpic/252813_jOfDHtcISzuodLa_1629280209/0", "desc": "企业微信", "desc_color": 0},
    "main_title": {"title": "欢迎使用企业微信", "desc": "您的好友正在邀请您加入企业微信"},
    "emphasis_content": {"title": "100", "desc": "数据含义"},
    "quote_area": {"type": 1, "url": "https://work.weixin.qq.com/?from=openApi", "appid": "APPID", "pagepath": "PAGEPATH",
                   "title": "引用文本标题", "quote_text": "Jack：企业微信真的很好用~\nBalian：超级好的一款软件！"},
    "sub_title_text": "下载企业微信还能抢红包！",
    "horizontal_content_list": [
      {"keyname": "邀请人", "value": "张三"},
      {"keyname": "企微官网", "value": "点击访问", "type": 1, "url": "https://work.weixin.qq.com/?from=openApi"},
      {"keyname": "企微下载", "value": "企业微信.apk", "type": 2, "media_id": "MEDIAID"}
    ],
    "jump_list": [
      {"type": 1, "url": "https://work.weixin.qq.com/?from=openApi", "title": "企业微信官网"},
      {"type": 2, "appid": "APPID", "pagepath": "PAGEPATH", "title": "跳转小程序"}
    ],
    "card_action": {"type": 1, "url": "https://work.weixin.qq.com/?from=openApi", "appid": "APPID", "pagepath": "PAGEPATH"}
  }
}"##;

/// The official news_notice template card: a source icon, a card image and an image-text area.
pub const OFFICIAL_NEWS_NOTICE: &str = r##"{
  "msgtype": "template_card",
  "template_card": {
    "card_type": "news_notice",
    "source": {"icon_url": "https://wework.qpic.cn/wwpic/252813_jOfDHtcISzuodLa_1629280209/0", "desc": "企业微信", "desc_color": 0},
    "main_title": {"title": "欢迎使用企业微信", "desc": "您的好友正在邀请您加入企业微信"},
    "card_image": {"url": "https://wework.qpic.cn/wwpic/354393_4zpkKXd7SrGMvfg_1629280616/0", "aspect_ratio": 2.25},
    "image_text_area": {"type": 1, "url": "https://work.weixin.qq.com", "title": "欢迎使用企业微信",
                        "desc": "您的好友正在邀请您加入企业微信",
                        "image_url": "https://wework.qpic.cn/wwpic/354393_4zpkKXd7SrGMvfg_1629280616/0"},
    "quote_area": {"type": 1, "url": "https://work.weixin.qq.com/?from=openApi", "title": "引用文本标题",
                   "quote_text": "Jack：企业微信真的很好用~\nBalian：超级好的一款软件！"},
    "vertical_content_list": [{"title": "惊喜红包等你来拿", "desc": "下载企业微信还能抢红包！"}],
    "horizontal_content_list": [
      {"keyname": "邀请人", "value": "张三"},
      {"keyname": "企微官网", "value": "点击访问", "type": 1, "url": "https://work.weixin.qq.com/?from=openApi"},
      {"keyname": "企微下载", "value": "企业微信.apk", "type": 2, "media_id": "MEDIAID"}
    ],
    "jump_list": [
      {"type": 1, "url": "https://work.weixin.qq.com/?from=openApi", "title": "企业微信官网"},
      {"type": 2, "appid": "APPID", "pagepath": "PAGEPATH", "title": "跳转小程序"}
    ],
    "card_action": {"type": 1, "url": "https://work.weixin.qq.com/?from=openApi", "appid": "APPID", "pagepath": "PAGEPATH"}
  }
}"##;

/// Parses a whole send request as WeCom receives it and renders its message.
pub fn render_json(json: &str, chat: ChatKind, image_url: Option<&str>) -> Rendered {
    let request: SendRequest = serde_json::from_str(json).expect("the example parses");
    let users = users();
    let media = media();
    let context = Context {
        users: &users,
        media: &media,
        image_url,
        chat,
    };
    render(&request.message, &context)
}

/// The HTML with a line break before each block-level tag, then the lints: readable snapshots.
///
/// Message text never contains a raw `<`, so breaking lines before tags cannot change what a
/// snapshot says about the text.
pub fn snapshot_text(rendered: &Rendered) -> String {
    let mut html = String::new();
    for (index, piece) in rendered.html.split('<').enumerate() {
        if index > 0 {
            let block = [
                "div",
                "h1",
                "h2",
                "h3",
                "h4",
                "h5",
                "h6",
                "p>",
                "blockquote",
                "ul",
                "ol",
                "li",
                "table",
                "thead",
                "tbody",
                "tr",
                "pre",
                "hr",
                "button",
                "a ",
                "img",
            ]
            .iter()
            .any(|tag| piece.starts_with(tag));
            if block && !html.is_empty() {
                html.push('\n');
            }
            html.push('<');
        }
        html.push_str(piece);
    }
    let mut text = format!("{html}\n\n--- lints ---\n");
    for lint in &rendered.lints {
        text.push_str(&format!("{}: {}\n", lint.code, lint.message));
    }
    text
}
