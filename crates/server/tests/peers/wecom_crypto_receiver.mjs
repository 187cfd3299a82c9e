// A bot's callback receiver on @wecom/crypto, Tencent's own JavaScript implementation of WeCom's
// message encryption, unmodified, for the JSON format (`?robot_callback_format=json`).
//
// usage: node wecom_crypto_receiver.mjs TOKEN ENCODING_AES_KEY [REPLY]
//
// Prints the port it listens on (127.0.0.1), then one JSON line per request: {"verified": ...}
// for the URL verification, {"callback": <decrypted payload>, "receiveid": ...} for a callback,
// or {"error": ...} (answered 403). With REPLY, each callback is answered with that passive text
// reply, in the JSON envelope, encrypted with receiveid "".
import http from 'node:http';
import { decrypt, encrypt, getSignature } from '@wecom/crypto';

const [token, aesKey, reply] = process.argv.slice(2);
const say = (line) => console.log(JSON.stringify(line));

const server = http.createServer((request, response) => {
  const query = new URL(request.url, 'http://receiver').searchParams;
  const timestamp = query.get('timestamp');
  const nonce = query.get('nonce');
  const refuse = (error) => {
    say({ error: String(error) });
    response.writeHead(403).end();
  };
  // Each ciphertext must carry msg_signature = sha1 of the sorted token, timestamp, nonce and it.
  const open = (ciphered) => {
    if (getSignature(token, timestamp, nonce, ciphered) !== query.get('msg_signature')) {
      throw new Error('signature mismatch');
    }
    return decrypt(aesKey, ciphered);
  };
  if (request.method === 'GET') {
    try {
      const { message } = open(query.get('echostr'));
      say({ verified: message });
      response.writeHead(200).end(message);
    } catch (error) {
      refuse(error);
    }
    return;
  }
  let body = '';
  request.on('data', (chunk) => { body += chunk; });
  request.on('end', () => {
    let opened;
    try {
      opened = open(JSON.parse(body).encrypt);
    } catch (error) {
      refuse(error);
      return;
    }
    say({ callback: JSON.parse(opened.message), receiveid: opened.id });
    if (reply === undefined) {
      response.writeHead(200).end();
      return;
    }
    const plaintext = JSON.stringify({ msgtype: 'text', text: { content: reply } });
    const ciphered = encrypt(aesKey, plaintext, '');
    const envelope = {
      encrypt: ciphered,
      msgsignature: getSignature(token, timestamp, nonce, ciphered),
      timestamp: Number(timestamp),
      nonce,
    };
    response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(envelope));
  });
});

server.listen(0, '127.0.0.1', () => console.log(server.address().port));
