"""A bot on the wecom-bot-svr framework (PyPI `wecom-bot-svr`: Flask and wx-crypt's
WXBizMsgCrypt), unmodified, written as its README shows.

usage: wecom_bot_svr_bot.py PORT TOKEN ENCODING_AES_KEY BOT_KEY

Serves its callback on http://127.0.0.1:PORT/wecom and prints "ready" once it answers. A text
message is answered passively ("收到: <content>"; as markdown when it starts with "md"), or, when
it starts with "two", with a passive reply and then a second message the framework pushes itself
to https://qyapi.weixin.qq.com (run it with HTTPS_PROXY and REQUESTS_CA_BUNDLE). `enter_chat` is
answered "欢迎"; other events with the framework's empty reply. Each request is printed as
`MSG|EVENT <type> <chat type> <chat id> <userid>`.
"""

import logging
import socket
import sys
import threading
import time

from wecom_bot_svr import RspMarkdownMsg, RspTextMsg, WecomBotServer

port, token, aes_key, bot_key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
logging.basicConfig(level=logging.ERROR)


def text(content, markdown=False):
    reply = RspMarkdownMsg() if markdown else RspTextMsg()
    reply.content = content
    return reply


def on_message(req):
    content = getattr(req, "content", "").strip()
    print("MSG", req.msg_type, req.chat_type, req.chat_id, req.from_user.user_id, flush=True)
    if content.startswith("two"):
        return (reply for reply in [text("第一条"), text("第二条 (pushed)")])
    return text("收到: " + content, markdown=content.startswith("md"))


def on_event(req):
    print("EVENT", req.event_type, req.chat_type, req.chat_id, req.from_user.user_id, flush=True)
    return text("欢迎" if req.event_type == "enter_chat" else "")


def announce_when_listening():
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            print("ready", flush=True)
            return
        except OSError:
            time.sleep(0.05)


bot = WecomBotServer("演示机器人", "127.0.0.1", port, path="/wecom", token=token, aes_key=aes_key,
                     bot_key=bot_key)
bot.set_message_handler(on_message)
bot.set_event_handler(on_event)
threading.Thread(target=announce_when_listening, daemon=True).start()
bot.run()
