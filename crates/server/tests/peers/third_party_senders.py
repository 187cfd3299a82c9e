"""Sends every kind of message it can with two sender libraries from PyPI, unmodified, as their
users call them, and prints one JSON line per send: {"kind": ..., "reply": <WeCom's answer>}.

usage: third_party_senders.py pywgb KEY          (hard-wired to https://qyapi.weixin.qq.com:
                                                  run it with HTTPS_PROXY and REQUESTS_CA_BUNDLE)
       third_party_senders.py wechat_work_webhook WEBHOOK_URL
The files it sends are written to the working directory.
"""

import base64
import json
import sys
import traceback

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
)
# An AMR-NB header and one silent frame: what a voice upload's sniffing looks for.
AMR = b"#!AMR\n" + bytes([0x3C]) + bytes(31)
NEWS = [
    {
        "title": "中秋节礼品领取",
        "description": "今年中秋节公司有豪礼相送",
        "url": "https://www.tencent.com",
        "picurl": "https://www.tencent.com/img/index/tencent_logo.png",
    }
]


def files():
    for name, data in (("pic.png", PNG), ("report.csv", b"host,load\nweb-1,0.7\n"), ("v.amr", AMR)):
        with open(name, "wb") as out:
            out.write(data)


def report(kind, send):
    try:
        reply = send()
    except Exception:
        reply = {"exception": traceback.format_exc()}
    print(json.dumps({"kind": kind, "reply": reply}, ensure_ascii=False), flush=True)


def pywgb_sends(key):
    from pywgb import bot

    report("text", lambda: bot.TextBot(key).send("构建 #42 失败", mentioned_list=["zhangsan"]))
    report("markdown", lambda: bot.MarkdownBot(key).send('**部署** <font color="info">完成</font>'))
    report("markdown_v2", lambda: bot.MarkdownBotV2(key).send("| host | load |\n|---|---|\n| web-1 | 0.7 |"))
    report("image", lambda: bot.ImageBot(key).send(file_path="pic.png"))
    report("news", lambda: bot.NewsBot(key).send(articles=NEWS))
    report("file", lambda: bot.FileBot(key).send(file_path="report.csv"))
    report("voice", lambda: bot.VoiceBot(key).send(file_path="v.amr"))
    # Its two template cards, as its README shows them.
    report("template_card", lambda: bot.TextCardBot(key).send(
        main_title={"title": "部署通知", "desc": "生产环境"},
        emphasis_content={"title": "SUCCESS", "desc": "状态"},
        sub_title_text="Deployed by: DevOps Team",
        horizontal_content_list=[{"keyname": "Version", "value": "v2.1.0"}],
        card_action={"type": 1, "url": "https://example.com/deployment/details"},
    ))
    report("template_card", lambda: bot.NewsCardBot(key).send(
        main_title={"title": "New Product Launch", "desc": "Q1 2026"},
        card_image={"url": "https://example.com/product.jpg", "aspect_ratio": 2.25},
        image_text_area={"type": 1, "url": "https://example.com/product",
                         "title": "Revolutionary Features", "image_url": "https://example.com/i.png"},
        vertical_content_list=[{"title": "Feature 1", "desc": "Advanced AI integration"}],
        card_action={"type": 1, "url": "https://example.com"},
    ))


def wechat_work_webhook_sends(url):
    import wechat_work_webhook

    wechat = wechat_work_webhook.connect(url)
    report("text", lambda: wechat.text("构建 #42 失败", ["@all"]))
    report("markdown", lambda: wechat.markdown('实时新增用户反馈<font color="warning">132例</font>'))
    report("image", lambda: wechat.image("pic.png"))
    report("news", lambda: wechat.news(NEWS))
    report("file", lambda: wechat.file("report.csv"))


files()
library, target = sys.argv[1:3]
{"pywgb": pywgb_sends, "wechat_work_webhook": wechat_work_webhook_sends}[library](target)
