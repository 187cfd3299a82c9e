"""A bot's callback receiver written the way a Python developer writes one: on wechatpy's
WeChatCrypto (WeCom's WXBizMsgCrypt, receiveid "" for bots), unmodified.

usage: wechatpy_receiver.py TOKEN ENCODING_AES_KEY xml|json [REPLY]

Prints the port it listens on (127.0.0.1), then one JSON line per request it handled:
{"verified": "<echostr plaintext>"} for the URL verification (GET), {"callback": {...}} with the
decrypted payload (XML parsed by xmltodict, or JSON) for each callback (POST), or {"error": "..."}
when wechatpy refused what it was sent (the answer is then a 403). With REPLY and the XML format,
each callback is answered with that passive text reply, encrypted by wechatpy.
"""

import json
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

import xmltodict
from wechatpy.enterprise.crypto import WeChatCrypto

token, aes_key, fmt = sys.argv[1:4]
reply = sys.argv[4] if len(sys.argv) > 4 else None
crypto = WeChatCrypto(token, aes_key, "")


def say(line):
    print(json.dumps(line, ensure_ascii=False), flush=True)


class Receiver(BaseHTTPRequestHandler):
    def query(self):
        params = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        return {name: values[0] for name, values in params.items()}

    def answer(self, status, body=b""):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        q = self.query()
        try:
            echo = crypto.check_signature(
                q["msg_signature"], q["timestamp"], q["nonce"], q["echostr"]
            )
        except Exception as error:  # wechatpy's InvalidSignatureException and friends
            say({"error": repr(error)})
            return self.answer(403)
        say({"verified": echo})
        self.answer(200, echo.encode())

    def do_POST(self):
        q = self.query()
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        try:
            if fmt == "xml":
                plain = crypto.decrypt_message(
                    body, q["msg_signature"], q["timestamp"], q["nonce"]
                )
                payload = xmltodict.parse(plain)["xml"]
            else:
                envelope = {"Encrypt": json.loads(body)["encrypt"]}
                plain = crypto.decrypt_message(
                    envelope, q["msg_signature"], q["timestamp"], q["nonce"]
                )
                payload = json.loads(plain)
        except Exception as error:
            say({"error": repr(error)})
            return self.answer(403)
        say({"callback": payload})
        if reply is not None and fmt == "xml":
            text = (
                "<xml><MsgType>text</MsgType><Text><Content><![CDATA[%s]]></Content>"
                "</Text></xml>" % reply
            )
            return self.answer(200, crypto.encrypt_message(text, q["nonce"]).encode())
        self.answer(200)

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Receiver)
print(server.server_address[1], flush=True)
server.serve_forever()
