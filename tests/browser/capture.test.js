// A headless capture of the inbox finishes: `chromium --headless --virtual-time-budget=5000
// --screenshot` on the inbox writes a PNG and exits (an open event stream used to keep virtual
// time from advancing, so it never did). The inbox opens its stream only after the first view
// is drawn, and `?live=0` opens none. Runs Debian's chromium binary itself, as a reader would
// from a shell, against a server of its own: the demo workspace with a few messages, whose
// capture is the README's picture (docs/inbox.png is a copy of screenshots/capture.png).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { launch, screenshotPath, startServer } from './lib.js';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const DEMO_GROUP = 'wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw'; // the demo workspace's 吃货群
/** A capture that takes longer than this has hung (it takes a second or two). */
const CAPTURE_TIMEOUT_MS = 60_000;
const WIDTH = 1280;
const HEIGHT = 800;

/** Runs `chromium --headless ... --screenshot=OUT URL` with lib.js's flags and a fresh profile;
 *  resolves with how it ended. A run that outlives the timeout is killed with its children. */
function capture(url, out) {
  const profile = mkdtempSync(join(tmpdir(), 'hookpit-capture-'));
  const args = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    `--user-data-dir=${profile}`, '--hide-scrollbars', '--virtual-time-budget=5000',
    `--screenshot=${out}`, `--window-size=${WIDTH},${HEIGHT}`, url,
  ];
  rmSync(out, { force: true });
  // Its own process group, so that a timeout ends the renderer and GPU processes too.
  const child = spawn(CHROMIUM, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  return new Promise((resolvePromise) => {
    const started = Date.now();
    const timer = setTimeout(() => {
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone already */ }
    }, CAPTURE_TIMEOUT_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      rmSync(profile, { recursive: true, force: true });
      resolvePromise({ code, signal, ms: Date.now() - started, stderr });
    });
  });
}

/** Width and height from a PNG's IHDR chunk; throws unless the bytes are a PNG. */
function pngSize(bytes) {
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG signature');
  assert.equal(bytes.subarray(12, 16).toString('ascii'), 'IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

async function assertCaptured(url, name) {
  const out = screenshotPath(name);
  const run = await capture(url, out);
  assert.equal(run.signal, null, `chromium had to be killed after ${CAPTURE_TIMEOUT_MS} ms: the capture never finished\n${run.stderr.slice(-2000)}`);
  assert.equal(run.code, 0, `chromium exited with ${run.code}\n${run.stderr.slice(-2000)}`);
  const bytes = readFileSync(out);
  assert.ok(statSync(out).size > 1000, 'a PNG that is not empty');
  assert.deepEqual(pngSize(bytes), { width: WIDTH, height: HEIGHT });
  return run;
}

describe('a headless capture of the inbox', () => {
  let server;

  async function send(body) {
    const response = await fetch(`${server.url}/cgi-bin/webhook/send?key=${encodeURIComponent(server.key)}`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ chatid: DEMO_GROUP, ...body }),
    });
    const reply = await response.json();
    assert.equal(reply.errcode, 0, `the webhook refused ${body.msgtype}: ${JSON.stringify(reply)}`);
  }

  before(async () => {
    server = await startServer([]);
    // Oldest first: the timeline shows the newest at the bottom, and the top of the oldest may
    // be cut off (the window is 800 px tall).
    await send({
      msgtype: 'template_card',
      template_card: {
        card_type: 'text_notice',
        source: { desc: '订餐助手', desc_color: 0 },
        main_title: { title: '外卖已送达', desc: '取餐码 A-1024，请到前台领取' },
        jump_list: [{ type: 1, url: 'https://work.weixin.qq.com/', title: '查看订单' }],
        card_action: { type: 1, url: 'https://work.weixin.qq.com/' },
      },
    });
    await send({
      msgtype: 'news',
      news: {
        articles: [{
          title: '本周新店推荐', description: '公司附近新开的五家餐厅，人均 50 元以内',
          url: 'https://work.weixin.qq.com/', picurl: 'https://res.mail.qq.com/node/ww/wwopenmng/images/independent/doc/test_pic_msg1.png',
        }],
      },
    });
    await send({
      msgtype: 'markdown',
      markdown: {
        content: '**午餐投票**\n> 截止时间：<font color="warning">11:30</font>\n请选择今天的午餐 <@zhangsan>',
        attachments: [{
          callback_id: 'lunch_vote',
          actions: [['hotpot', '火锅'], ['bbq', '烧烤'], ['salad', '轻食']].map(([name, text]) => ({
            name, text, type: 'button', value: name, replace_text: `你已选择${text}`, border_color: '#2EAB49', text_color: '#2EAB49',
          })),
        }],
      },
    });
  });

  after(async () => {
    if (server) await server.stop();
  });

  test('chromium --virtual-time-budget --screenshot on the inbox finishes and writes a PNG', async () => {
    await assertCaptured(`${server.url}/`, 'capture');
  });

  test('the same with ?live=0, which opens no event stream', async () => {
    await assertCaptured(`${server.url}/?live=0`, 'capture-live0');
  });

  test('the stream opens only once the first view is drawn; ?live=0 opens none', async () => {
    const browser = await launch();
    try {
      const { page } = browser;
      // Record, for every stream the page (or a worker of it) opens, whether the first view
      // was drawn by then.
      await page.addInitScript(() => {
        window.__streamsOpened = [];
        const note = (kind) => window.__streamsOpened.push({ kind, ready: document.body?.dataset.ready === 'true' });
        const PageEventSource = window.EventSource;
        window.EventSource = class extends PageEventSource {
          constructor(...args) { note('page'); super(...args); }
        };
        const PageWorker = window.Worker;
        window.Worker = class extends PageWorker {
          constructor(...args) { note('worker'); super(...args); }
        };
      });
      await page.goto(`${server.url}/`);
      await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
      await page.waitForFunction(() => window.__hookpitEvents && window.__hookpitEvents.readyState === EventSource.OPEN);
      const opened = await page.evaluate(() => window.__streamsOpened);
      assert.ok(opened.length >= 1, 'the stream was opened');
      assert.ok(opened.every((o) => o.ready), `every stream opened after the first view: ${JSON.stringify(opened)}`);
      assert.equal(await page.locator('#conn').getAttribute('data-state'), 'open');

      await page.goto(`${server.url}/?live=0`);
      await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
      await page.locator('.msg').first().waitFor();
      await page.waitForTimeout(300); // time for a stream the page would open after the first view
      assert.deepEqual(await page.evaluate(() => window.__streamsOpened), [], '?live=0: no stream');
      assert.equal(await page.evaluate(() => window.__hookpitEvents), undefined);
      assert.equal(await page.locator('#conn').getAttribute('data-state'), 'off');
    } finally {
      await browser.close();
    }
  });

  test('the favicon is served as SVG at /favicon.svg and /favicon.ico, and linked', async () => {
    for (const path of ['/favicon.svg', '/favicon.ico']) {
      const response = await fetch(`${server.url}${path}`);
      assert.equal(response.status, 200, path);
      assert.equal(response.headers.get('content-type'), 'image/svg+xml', path);
      assert.match(await response.text(), /^<svg[\s\S]*<\/svg>\s*$/, path);
    }
    const index = await (await fetch(`${server.url}/`)).text();
    assert.match(index, /<link rel="icon" href="\/favicon.svg" type="image\/svg\+xml">/);
  });
});
