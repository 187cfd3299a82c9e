// Shared helpers of the browser tests: the running server (from run.sh's environment), a server
// of a test's own (other flags), the SDK's echo bot as a real callback receiver, the webhook and
// admin API, test media (a real PNG, a real AMR-NB voice) and Chromium.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));

export const BASE = (process.env.HOOKPIT_URL || '').replace(/\/$/, '');
export const KEY = process.env.HOOKPIT_KEY || '';
export const SCREENSHOTS = resolve(process.env.HOOKPIT_SCREENSHOTS || join(here, 'screenshots'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

if (!BASE || !KEY) {
  throw new Error('HOOKPIT_URL and HOOKPIT_KEY are not set: run the tests with tests/browser/run.sh');
}

// ---------------------------------------------------------------- HTTP

export async function api(path, { method = 'GET', body } = {}) {
  const response = await fetch(`${BASE}/api/v1${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} /api/v1${path}: HTTP ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

export function listOf(data, key) {
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data[key])) return data[key];
  if (data && Array.isArray(data.items)) return data.items;
  return [];
}

/** Posts a raw body to the webhook and returns WeCom's reply `{errcode, errmsg}`. */
export async function sendRaw(body, { key = KEY, contentType = 'application/json' } = {}) {
  const response = await fetch(`${BASE}/cgi-bin/webhook/send?key=${encodeURIComponent(key)}`, {
    method: 'POST',
    headers: { 'Content-Type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  assert.equal(response.status, 200, 'the webhook answers HTTP 200 like WeCom');
  return response.json();
}

/** Sends a message through the webhook and fails unless WeCom's answer is errcode 0. */
export async function send(body) {
  const reply = await sendRaw(body);
  assert.equal(reply.errcode, 0, `webhook refused ${body.msgtype}: ${JSON.stringify(reply)}`);
  return reply;
}

/** Uploads through `upload_media` (multipart, part "media") and returns the media_id. */
export async function upload(type, filename, bytes, contentType = 'application/octet-stream') {
  const form = new FormData();
  form.append('media', new Blob([bytes], { type: contentType }), filename);
  const response = await fetch(`${BASE}/cgi-bin/webhook/upload_media?key=${encodeURIComponent(KEY)}&type=${type}`, {
    method: 'POST', body: form,
  });
  const reply = await response.json();
  assert.equal(reply.errcode, 0, `upload_media type=${type} refused: ${JSON.stringify(reply)}`);
  assert.ok(reply.media_id, 'upload_media returns a media_id');
  return reply.media_id;
}

export async function demoBot() {
  const bots = listOf(await api('/bots'), 'bots');
  const bot = bots.find((b) => b.key === KEY || String(b.webhook_url || '').includes(KEY));
  assert.ok(bot, `the demo bot (key ${KEY}) is listed by GET /bots`);
  return bot;
}

export const DEMO_USERS = ['zhangsan', 'lisi', 'wangqing'];

/** A fresh group holding the demo users and the demo bot, so that each test file has its own chat. */
export async function newGroup(name) {
  const chat = await api('/groups', { method: 'POST', body: { name, members: DEMO_USERS } });
  const chatid = chat.chatid || (chat.chat && chat.chat.chatid);
  assert.ok(chatid, `POST /groups returns a chatid: ${JSON.stringify(chat)}`);
  const bot = await demoBot();
  await api(`/bots/${encodeURIComponent(bot.id)}/chats/${encodeURIComponent(chatid)}`, { method: 'PUT', body: {} });
  return chatid;
}

/** The newest message of a chat as the admin API reports it. */
export async function newestMessage(chatid) {
  const page = await api(`/messages?chatid=${encodeURIComponent(chatid)}&limit=1`);
  const message = listOf(page, 'messages')[0];
  assert.ok(message, `chat ${chatid} has a message`);
  return message;
}

/** Starts a second `hookpit serve` of its own (port 0, a temporary data directory) with extra
 *  flags, for tests that need another configuration than run.sh's server. Resolves once the
 *  banner names the address: `{url, key, stop()}`. */
export async function startServer(flags) {
  const bin = process.env.HOOKPIT_BIN;
  assert.ok(bin, 'HOOKPIT_BIN is set by run.sh');
  const data = mkdtempSync(join(tmpdir(), 'hookpit-test-'));
  const child = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--data', data, ...flags], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const webhook = await new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 30 s:\n${output}`)), 30_000);
    const look = (chunk) => {
      output += chunk;
      const match = /webhook: (https?:\/\/\S+)/.exec(output);
      if (match) { clearTimeout(timer); resolvePromise(match[1]); }
    };
    child.stdout.on('data', look);
    child.stderr.on('data', look);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited (${code}):\n${output}`)); });
  });
  return {
    url: webhook.replace(/\/cgi-bin\/.*$/, ''),
    key: new URL(webhook).searchParams.get('key'),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolvePromise) => { child.once('exit', resolvePromise); });
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(data, { recursive: true, force: true });
    },
  };
}

/** Waits for `pattern` in a child's output (stdout or stderr); resolves with the match. */
function waitForLine(child, pattern, what) {
  let output = '';
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} line within 30 s:\n${output}`)), 30_000);
    const look = (chunk) => {
      output += chunk;
      const match = pattern.exec(output);
      if (match) { clearTimeout(timer); resolvePromise(match); }
    };
    child.stdout.on('data', look);
    child.stderr.on('data', look);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${what} exited (${code}):\n${output}`)); });
  });
}

/** Stops a child started by a helper, and waits until it is gone. */
async function stopChild(child) {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolvePromise) => { child.once('exit', resolvePromise); });
    child.kill('SIGTERM');
    await exited;
  }
}

/** A Token as WeCom's settings page makes them: 32 letters and digits. */
export function randomToken() {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(32), (byte) => alphabet[byte % alphabet.length]).join('');
}

/** An EncodingAESKey: 32 random bytes in Base64 without `=`, with `+` and `/` replaced as the
 *  server does (43 letters and digits). */
export function randomAesKey() {
  return randomBytes(32).toString('base64').replace(/=+$/, '').replace(/\+/g, 'A').replace(/\//g, 'B');
}

/** Starts the SDK's example bot (`crates/client/examples/echo_bot.rs`, built by run.sh) on a
 *  free loopback port: a real callback receiver that passes WeCom's URL verification, echoes
 *  every text (without its leading `@BotName `) and answers a button click with "you chose
 *  VALUE", as encrypted passive replies. Resolves with `{url, stop()}`. */
export async function startEchoBot({ token, key, format } = {}) {
  const bin = process.env.ECHO_BOT_BIN;
  assert.ok(bin, 'ECHO_BOT_BIN is set by run.sh');
  const env = { ...process.env, TOKEN: token, ENCODING_AES_KEY: key, LISTEN: '127.0.0.1:0' };
  if (format) env.FORMAT = format;
  const child = spawn(bin, [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const match = await waitForLine(child, /echo bot: (http:\/\/\S+)/, 'echo bot');
  return { url: match[1], stop: () => stopChild(child) };
}

/** A loopback port where nothing listens (bound, then closed again). */
export async function closedPort() {
  const server = createServer();
  await new Promise((resolvePromise) => { server.listen(0, '127.0.0.1', resolvePromise); });
  const { port } = server.address();
  await new Promise((resolvePromise) => { server.close(resolvePromise); });
  return port;
}

// ---------------------------------------------------------------- media

function crc32(bytes) {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k += 1) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

function pngChunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A real, valid RGB PNG of the given size: a diagonal two-colour gradient. */
export function png(width = 48, height = 32) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type RGB
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y += 1) {
    const row = y * (width * 3 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < width; x += 1) {
      const t = (x + y) / (width + height);
      raw[row + 1 + x * 3] = Math.round(0 + 47 * t);
      raw[row + 2 + x * 3] = Math.round(130 + 60 * t);
      raw[row + 3 + x * 3] = Math.round(239 - 100 * t);
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A valid AMR-NB file: the magic `#!AMR\n` and 20 ms frames of mode 7 (12.2 kbit/s): a header
 *  byte 0x3C followed by 31 bytes of speech bits, 32 bytes per frame. */
export function amr(seconds = 3) {
  const frames = Math.round(seconds * 50);
  const frame = Buffer.alloc(32);
  frame[0] = 0x3c;
  return Buffer.concat([Buffer.from('#!AMR\n', 'ascii'), ...Array.from({ length: frames }, () => frame)]);
}

export const md5 = (bytes) => createHash('md5').update(bytes).digest('hex');

// ---------------------------------------------------------------- browser

const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Launches Debian's Chromium with a fresh profile. Returns `{context, page, close}`. */
export async function launch(options = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'hookpit-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 860 },
    deviceScaleFactor: 1,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    ...options,
  });
  context.setDefaultTimeout(10_000); // every page of the context, also those a test opens
  const page = context.pages()[0] || await context.newPage();
  return {
    context,
    page,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Opens the inbox on a chat and waits until the app has loaded it. */
export async function openChat(page, chatid) {
  const response = await page.goto(`${BASE}/#/chat/${encodeURIComponent(chatid)}`);
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
  await page.waitForFunction(() => {
    const source = window.__hookpitEvents;
    return source && source.readyState === EventSource.OPEN;
  });
  return response;
}

/** Picks the "view as" user ('' for the admin view) and waits until the open chat (if any) is
 *  loaded again for them. */
export async function chooseViewAs(page, userid) {
  await page.selectOption('[data-testid="view-as"]', userid);
  await page.waitForFunction((u) => document.querySelector('#view-as').value === u
    && !document.querySelector('#timeline-inner .timeline-loading'), userid);
}

/** Marks the page so that a reload would be noticed: `assertNoReload` checks the mark. */
export async function markPage(page) {
  await page.evaluate(() => { window.__hookpitNoReload = 'still the same page'; });
}
export async function assertNoReload(page) {
  assert.equal(await page.evaluate(() => window.__hookpitNoReload), 'still the same page', 'the page was not reloaded');
}

export function screenshotPath(name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return join(SCREENSHOTS, `${name}.png`);
}
