//! Snapshots of the whole HTML and lints of every message type, from the official document's
//! examples (`message-push-api.zh.txt`, spec §3.4) and a few variations that exercise the lints.

use hookpit_render::ChatKind;
use insta::assert_snapshot;

use crate::support::{
    OFFICIAL_MARKDOWN_V2, OFFICIAL_NEWS, OFFICIAL_NEWS_NOTICE, OFFICIAL_TEXT_NOTICE, render_json,
    snapshot_text,
};

fn snapshot(json: &str) -> String {
    snapshot_text(&render_json(json, ChatKind::Group, None))
}

#[test]
fn text_of_the_official_example_shows_mentions_after_the_text() {
    assert_snapshot!(snapshot(
        r##"{
            "chatid": "wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw|zhangsan",
            "post_id" : "bpkSFfCgAAWeiHNo2p6lJbG3_F2xxxxx",
            "visible_to_user": "zhangsan|lisi",
            "msgtype": "text",
            "text": {
                "content": "<@zhangsan>广州今日天气：29度，大部分多云，降雨概率：60%",
                "mentioned_list":["wangqing","@all"],
                "mentioned_mobile_list":["13800001111","@all"]
            }
        }"##
    ));
}

#[test]
fn text_on_a_blackboard_drops_the_mention_lists() {
    let json = r##"{"msgtype": "text", "text": {"content": "<@zhangsan>今日值班", "mentioned_list": ["@all"]}}"##;
    assert_snapshot!(snapshot_text(&render_json(
        json,
        ChatKind::Blackboard,
        None
    )));
}

#[test]
fn text_over_2048_bytes_is_cut_and_unknown_users_are_linted() {
    let content = format!("<@nobody>{}", "天气".repeat(400));
    let json = serde_json::json!({"msgtype": "text", "text": {"content": content}}).to_string();
    assert_snapshot!(snapshot(&json));
}

#[test]
fn markdown_of_the_official_example_has_buttons() {
    assert_snapshot!(snapshot(
        r##"{
            "chatid": "wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw",
            "msgtype": "markdown",
            "markdown": {
                "content": "**2019公司文化衫尺码收集**\n\n主题：2019文化衫尺码收集\n范围：所有<font color=\"warning\">正式员工+实习生</font>\n服装：统一为蓝色logo+白色T\n\n请选择你需要的尺码\n<@zhangsan><@lisi>",
                "at_short_name": true,
                "attachments": [{
                    "callback_id": "button_two_row",
                    "actions": [
                        {"name": "button_1", "text": "S", "type": "button", "value": "S", "replace_text": "你已选择S", "border_color": "#2EAB49", "text_color": "#2EAB49"},
                        {"name": "button_2", "text": "M", "type": "button", "value": "M", "replace_text": "你已选择M", "border_color": "#2EAB49", "text_color": "#2EAB49"},
                        {"name": "button_3", "text": "L", "type": "button", "value": "L", "replace_text": "你已选择L", "border_color": "#2EAB49", "text_color": "#2EAB49"},
                        {"name": "button_4", "text": "不确定", "type": "button", "value": "不确定", "replace_text": "你已选择不确定", "border_color": "#2EAB49", "text_color": "#2EAB49"},
                        {"name": "button_5", "text": "不参加", "type": "button", "value": "不参加", "replace_text": "你已选择不参加", "border_color": "#2EAB49", "text_color": "#2EAB49"}
                    ]
                }]
            }
        }"##
    ));
}

#[test]
fn markdown_shows_the_whole_documented_subset() {
    let content = "# 标题一\n## 标题二\n### 标题三\n#### 标题四\n##### 标题五\n###### 标题六\n\
                   **bold**\n[这是一个链接](https://work.weixin.qq.com/api/doc)\n`code`\n> 引用文字\n\
                   <font color=\"info\">绿色</font>\n<font color=\"comment\">灰色</font>\n\
                   <font color=\"warning\">橙红色</font>";
    let json = serde_json::json!({"msgtype": "markdown", "markdown": {"content": content}});
    assert_snapshot!(snapshot(&json.to_string()));
}

#[test]
fn markdown_shows_markdown_v2_syntax_literally_with_lints() {
    let content = "#标题\n- 列表\n| 姓名 | 尺寸 |\n| :--- | ---: |\n| 张三 | S |\n```\ncode\n```\n\
                   >> 二级引用\n*斜体*\n<font color=\"red\">红色</font>";
    let json = serde_json::json!({"msgtype": "markdown", "markdown": {"content": content}});
    assert_snapshot!(snapshot(&json.to_string()));
}

#[test]
fn markdown_v2_of_the_official_example() {
    assert_snapshot!(snapshot(OFFICIAL_MARKDOWN_V2));
}

#[test]
fn markdown_v2_syntax_section_of_the_official_document() {
    // The document's syntax list, as printed there: one-space sub-lists, `>` without a space.
    let content = "# 标题一\n###### 标题六\n*斜体*\n**加粗**\n- 无序列表 1\n- 无序列表 2\n \
                   - 无序列表 2.1\n - 无序列表 2.2\n1. 有序列表 1\n2. 有序列表 2\n\n>一级引用\n\
                   >>二级引用\n>>>三级引用\n\n[这是一个链接](https://work.weixin.qq.com/api/doc)\n\
                   ![这是一个图片](https://res.mail.qq.com/node/ww/wwopenmng/images/independent/doc/\
                   test_pic_msg1.png)\n\n---\n`这是行内代码`\n\n```\n这是独立代码块\n```\n\n\
                   | 姓名 | 文化衫尺寸 | 收货地址 |\n| :----- | :----: | -------: |\n| 张三 | S | 广州 |\n\
                   | 李四 | L | 深圳 |";
    let json = serde_json::json!({"msgtype": "markdown_v2", "markdown_v2": {"content": content}});
    assert_snapshot!(snapshot(&json.to_string()));
}

#[test]
fn markdown_v2_on_a_blackboard_is_linted() {
    let json = r##"{"msgtype": "markdown_v2", "markdown_v2": {"content": "**值班表**"}}"##;
    assert_snapshot!(snapshot_text(&render_json(
        json,
        ChatKind::Blackboard,
        None
    )));
}

#[test]
fn text_with_markdown_syntax_is_shown_literally_with_a_lint() {
    let content =
        "## 构建结果\n**失败** <font color=\"warning\">3</font> [日志](https://ci.example/1)";
    let json = serde_json::json!({"msgtype": "text", "text": {"content": content}});
    assert_snapshot!(snapshot(&json.to_string()));
}

#[test]
fn markdown_v2_shows_colours_and_mentions_literally_with_lints() {
    let content = "<font color=\"info\">绿色</font> <@zhangsan>\n\n~~删除线~~";
    let json = serde_json::json!({"msgtype": "markdown_v2", "markdown_v2": {"content": content}});
    assert_snapshot!(snapshot(&json.to_string()));
}

#[test]
fn image_shows_the_stored_picture() {
    let json = r##"{"msgtype": "image", "image": {"base64": "DATA", "md5": "MD5"}}"##;
    assert_snapshot!(snapshot_text(&render_json(
        json,
        ChatKind::Group,
        Some("/api/v1/messages/42/image")
    )));
}

#[test]
fn image_without_a_stored_picture_shows_a_placeholder() {
    let json = r##"{"msgtype": "image", "image": {"base64": "DATA", "md5": "MD5"}}"##;
    assert_snapshot!(snapshot(json));
}

#[test]
fn news_of_the_official_example_is_one_large_card() {
    assert_snapshot!(snapshot(OFFICIAL_NEWS));
}

#[test]
fn news_with_several_articles_has_a_lead_and_rows() {
    let picture =
        "https://res.mail.qq.com/node/ww/wwopenmng/images/independent/doc/test_pic_msg1.png";
    let json = serde_json::json!({"msgtype": "news", "news": {"articles": [
        {"title": "中秋节礼品领取", "description": "不显示", "url": "https://work.weixin.qq.com", "picurl": picture},
        {"title": "月饼券发放", "url": "https://work.weixin.qq.com/1", "picurl": picture},
        {"title": "没有图片的文章", "url": "https://work.weixin.qq.com/2"},
        {"title": "很长的标题".repeat(10), "url": "https://work.weixin.qq.com/3"}
    ]}});
    assert_snapshot!(snapshot(&json.to_string()));
}

#[test]
fn file_of_the_official_example_is_a_download_row() {
    assert_snapshot!(snapshot(
        r##"{"msgtype": "file", "file": {"media_id": "3a8asd892asd8asd"}}"##
    ));
}

#[test]
fn file_with_an_unknown_media_id_is_linted() {
    assert_snapshot!(snapshot(
        r##"{"msgtype": "file", "file": {"media_id": "expired"}}"##
    ));
}

#[test]
fn voice_of_the_official_example_shows_its_duration() {
    assert_snapshot!(snapshot(
        r##"{"msgtype": "voice", "voice": {"media_id": "MEDIA_ID"}}"##
    ));
}

#[test]
fn miniprogram_of_the_official_example_is_a_card() {
    assert_snapshot!(snapshot(
        r##"{
            "msgtype": "miniprogram",
            "miniprogram": {
                "title": "小程序测试消息",
                "pic_media_id": "MEDIA_ID",
                "appid": "wx8bd80126147dfAAA",
                "page": "/path/index.html"
            }
        }"##
    ));
}

#[test]
fn template_card_text_notice_of_the_official_example() {
    assert_snapshot!(snapshot(OFFICIAL_TEXT_NOTICE));
}

#[test]
fn template_card_news_notice_of_the_official_example() {
    assert_snapshot!(snapshot(OFFICIAL_NEWS_NOTICE));
}

#[test]
fn template_card_lints_long_texts_foreign_blocks_and_members() {
    let json = serde_json::json!({"msgtype": "template_card", "template_card": {
        "card_type": "text_notice",
        "source": {"desc": "一个超过十三个字的来源描述文字", "desc_color": 2},
        "main_title": {"title": "这是一个非常非常非常非常非常非常长的主标题文字内容"},
        "emphasis_content": {"title": "1234567890123", "desc": "数据含义"},
        "horizontal_content_list": [
            {"keyname": "负责人", "type": 3, "userid": "zhangsan"},
            {"keyname": "协作人", "value": "神秘人", "type": 3, "userid": "ghost"}
        ],
        "card_image": {"url": "https://wework.qpic.cn/x/0"},
        "card_action": {"type": 2, "appid": "APPID", "pagepath": "pages/index"}
    }});
    assert_snapshot!(snapshot(&json.to_string()));
}
