// The relay in the inbox (docs/RELAY.md), against two real Hookpits: run.sh's server relays a
// bot of its own (转发机器人) to a second Hookpit that stands in for WeCom (its demo bot, in a
// group with the same chatid on both). Each relayed message shows its status line under the
// bubble, kept current by the `relay` events: queued then delivered, held until 放行, failed with
// WeCom's errcode and errmsg until 重试. The bots page sets and removes the relay; the queue page
// counts what waits. An upstream of the test's own answers a hostile errmsg, which stays text.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import {
  BASE, DEMO_USERS, api, assertNoReload, launch, listOf, markPage, openChat, screenshotPath, sendRaw, startServer,
} from './lib.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

describe('the relay in the inbox: status lines, 放行, 重试, the bots page and the queues', () => {
  const chatid = `wrkRelay${Date.now()}`;
  let upstream; // the second Hookpit: "real WeCom"
  let bot; // the relaying bot of run.sh's server
  let stub; // an upstream of the test's own, for answers no Hookpit gives
  let browser;
  let page;
  const outside = [];
  const pageErrors = [];

  const goodUrl = () => `${upstream.url}/cgi-bin/webhook/send?key=${upstream.key}`;
  const setRelay = (url, mode = 'all') => api(`/bots/${encodeURIComponent(bot.id)}/relay`, { method: 'PUT', body: { upstream: url, mode } });

  /** The admin API of the upstream Hookpit. */
  async function upstreamApi(path, { method = 'GET', body } = {}) {
    const response = await fetch(`${upstream.url}/api/v1${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`upstream ${method} ${path}: HTTP ${response.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  /** What the upstream received in the chat with this text (none yet: undefined). */
  async function upstreamGot(content) {
    const messages = listOf(await upstreamApi(`/messages?chatid=${encodeURIComponent(chatid)}&limit=100`), 'messages');
    return messages.find((m) => m.content && m.content.content === content);
  }

  /** Sends a text through the relaying bot; answers its message item as the inbox's API has it. */
  async function sendRelayed(content) {
    const reply = await sendRaw({ chatid, msgtype: 'text', text: { content } }, { key: bot.key });
    assert.equal(reply.errcode, 0, `the relaying bot accepts at once: ${JSON.stringify(reply)}`);
    const messages = listOf(await api(`/messages?chatid=${encodeURIComponent(chatid)}&limit=50`), 'messages');
    const message = messages.find((m) => m.content && m.content.content === content);
    assert.ok(message, `the message "${content}" is stored`);
    assert.ok(message.relay, 'and relayed');
    return message;
  }

  const relayOf = async (id) => (await api(`/messages/${id}`)).relay;
  const row = (id) => page.locator(`#timeline .msg[data-id="${id}"]`);
  /** A message's status line; in that state only, when `status` is given. */
  const line = (id, status) => row(id).locator(`[data-testid="relay"]${status ? `[data-status="${status}"]` : ''}`);

  /** Records every state the status lines of the open timeline show (`window.__relaySeen`:
   *  message id -> [{status, text}], one entry per change), to check what came before the last. */
  async function recordStatuses() {
    await page.evaluate(() => {
      window.__relaySeen = {};
      const note = () => {
        for (const element of document.querySelectorAll('#timeline .msg [data-testid="relay"]')) {
          const id = element.closest('.msg').dataset.id;
          window.__relaySeen[id] = window.__relaySeen[id] || [];
          const seen = window.__relaySeen[id];
          const entry = { status: element.dataset.status, text: element.textContent };
          const last = seen[seen.length - 1];
          if (!last || last.status !== entry.status || last.text !== entry.text) seen.push(entry);
        }
      };
      new MutationObserver(note).observe(document.getElementById('timeline'), { subtree: true, childList: true, attributes: true });
      note();
    });
  }
  const seenFor = (id) => page.evaluate((key) => (window.__relaySeen || {})[key] || [], String(id));

  before(async () => {
    upstream = await startServer([]);
    // The same group on both sides: what goes upstream names the sender's own chatid.
    await api('/groups', { method: 'POST', body: { chatid, name: '转发测试群', members: DEMO_USERS } });
    await upstreamApi('/groups', { method: 'POST', body: { chatid, name: '转发测试群（上游）', members: DEMO_USERS } });
    await upstreamApi(`/bots/demo/chats/${encodeURIComponent(chatid)}`, { method: 'PUT', body: {} });
    bot = await api('/bots', { method: 'POST', body: { name: '转发机器人', chats: [chatid] } });
    assert.ok(bot.id && bot.key, `POST /bots answers the bot: ${JSON.stringify(bot)}`);

    browser = await launch();
    page = browser.page;
    await browser.context.route((url) => !LOOPBACK.has(url.hostname), async (route) => {
      outside.push(route.request().url());
      await route.abort('blockedbyclient');
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) pageErrors.push(message.text());
    });
  });

  after(async () => {
    if (bot) await api(`/bots/${encodeURIComponent(bot.id)}/relay`, { method: 'DELETE' }).catch(() => {});
    if (browser) await browser.close();
    if (upstream) await upstream.stop();
    if (stub) await new Promise((resolvePromise) => { stub.close(resolvePromise); });
  });

  test('the bots page sets a relay with its key masked, shows a refused URL\'s 400 message verbatim, and removes it', async () => {
    await page.goto(`${BASE}/#/bots`);
    await page.waitForSelector('body[data-view="bots"]');
    const settings = page.locator(`[data-testid="bot"][data-bot-id="${bot.id}"] [data-testid="relay-settings"]`);
    await settings.locator('[data-testid="relay-url"]').waitFor();
    const state = settings.locator('[data-testid="relay-state"]');
    assert.match(await state.innerText(), /未转发/);

    await settings.locator('[data-testid="relay-url"]').fill(goodUrl());
    await settings.locator('[data-testid="relay-mode-select"]').selectOption('manual');
    await settings.locator('[data-testid="relay-save"]').click();
    await settings.locator('[data-testid="relay-mode"][data-mode="manual"]').waitFor();
    const saved = await api(`/bots/${encodeURIComponent(bot.id)}/relay`);
    assert.equal(saved.mode, 'manual', 'the page sent the mode chosen');
    const shown = await settings.locator('[data-testid="relay-upstream"]').innerText();
    assert.equal(shown, saved.upstream, 'the upstream as the API shows it');
    assert.ok(shown.endsWith(`key=${upstream.key.slice(0, 4)}…`), `the key masked to its first 4 characters: ${shown}`);
    assert.ok(!shown.includes(upstream.key), 'never the whole key');
    assert.equal(await settings.locator('[data-testid="relay-url"]').inputValue(), '', 'the form does not hold the secret');
    assert.match(await state.innerText(), /手动放行/);

    // A URL the server refuses: its 400 message, as the server wrote it; the relay stays.
    const bad = `${upstream.url}/cgi-bin/webhook/sned?key=${upstream.key}`;
    const refused = await fetch(`${BASE}/api/v1/bots/${encodeURIComponent(bot.id)}/relay`, {
      method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ upstream: bad, mode: 'all' }),
    });
    assert.equal(refused.status, 400);
    const { message } = await refused.json();
    assert.match(message, /webhook send URL/);
    await settings.locator('[data-testid="relay-url"]').fill(bad);
    await settings.locator('[data-testid="relay-mode-select"]').selectOption('all');
    await settings.locator('[data-testid="relay-save"]').click();
    const error = settings.locator('[data-testid="relay-error"]');
    await error.waitFor();
    assert.equal(await error.textContent(), message, 'the 400 message verbatim');
    const kept = await api(`/bots/${encodeURIComponent(bot.id)}/relay`);
    assert.deepEqual([kept.upstream, kept.mode], [saved.upstream, 'manual'], 'the saved relay is unchanged');
    await settings.screenshot({ path: screenshotPath('relay-settings-refused') });

    page.once('dialog', (dialog) => dialog.accept());
    await settings.locator('[data-testid="relay-delete"]').click();
    await state.filter({ hasText: '未转发' }).waitFor();
    const gone = await fetch(`${BASE}/api/v1/bots/${encodeURIComponent(bot.id)}/relay`);
    assert.equal(gone.status, 404, 'the relay is removed');
    assert.equal(await settings.locator('[data-testid="relay-delete"]').count(), 0);
  });

  test('the queue page counts held messages as they come and a release as it is delivered, live', async () => {
    await setRelay(goodUrl(), 'manual');
    await page.goto(`${BASE}/#/relay`);
    await page.waitForSelector('body[data-view="relay"]');
    const queue = page.locator(`[data-testid="relay-queue"][data-bot-id="${bot.id}"]`);
    await queue.waitFor();
    const cell = (testId) => queue.locator(`[data-testid="${testId}"]`);
    const [before] = listOf(await api('/relay/queues'), 'queues').filter((q) => q.bot_id === bot.id);
    assert.equal(await cell('relay-queue-upstream').innerText(), before.upstream, 'the upstream, its key masked');
    assert.ok(!(await queue.innerText()).includes(upstream.key), 'never the whole key');
    assert.equal(await cell('relay-queue-mode').innerText(), '手动放行');
    assert.equal(await cell('relay-depth').innerText(), '0');
    assert.equal(await cell('relay-oldest').innerText(), '—');
    assert.equal(await cell('relay-delivered').innerText(), '0');
    await markPage(page);

    // Faster than the page's own 10 s reload: only the stream's events can bring these.
    const live = { timeout: 4000 };
    const first = await sendRelayed('排队 1');
    const second = await sendRelayed('排队 2');
    await queue.locator('[data-testid="relay-depth"]', { hasText: /^2$/ }).waitFor(live);
    assert.match(await cell('relay-oldest').innerText(), /^\d+ 秒$/, 'the age of the oldest');
    await page.screenshot({ path: screenshotPath('relay-queues') });

    await api(`/messages/${first.id}/release`, { method: 'POST' });
    await queue.locator('[data-testid="relay-depth"]', { hasText: /^1$/ }).waitFor(live);
    await queue.locator('[data-testid="relay-delivered"]', { hasText: /^1$/ }).waitFor(live);
    assert.equal(await cell('relay-failed').innerText(), '0');
    assert.ok(await upstreamGot('排队 1'), 'the released one reached the upstream');
    assert.equal(await upstreamGot('排队 2'), undefined, 'the held one did not');
    await assertNoReload(page);
    await api(`/messages/${second.id}/release`, { method: 'POST' }); // leaves the queue empty
  });

  test('a message shows 待发送 with WeCom\'s busy answer, then 已转发 with its time, live', async () => {
    await setRelay(goodUrl());
    // The upstream answers the first attempt with -1 (system busy), as WeCom does under load:
    // the relay keeps the message queued and tries again a second later.
    await upstreamApi('/faults', { method: 'POST', body: { effect: { errcode: -1 }, times: 1, match: { endpoint: 'send' } } });
    await openChat(page, chatid);
    await recordStatuses();
    await markPage(page);
    const content = '转发：先排队，再送达';
    const message = await sendRelayed(content);
    await line(message.id, 'delivered').waitFor();

    const relay = await relayOf(message.id);
    assert.equal(relay.status, 'delivered');
    assert.equal(relay.attempts, 2, 'the busy answer, then the delivery');
    const seen = await seenFor(message.id);
    const busy = seen.findIndex((s) => s.status === 'queued' && /已尝试 1 次/.test(s.text) && /-1/.test(s.text) && /system error/.test(s.text));
    assert.ok(busy >= 0, `待发送 with the upstream's -1 and its errmsg was shown: ${JSON.stringify(seen)}`);
    assert.match(seen[busy].text, /待发送/);
    assert.equal(seen[seen.length - 1].status, 'delivered', 'and 已转发 last');
    assert.ok(busy < seen.length - 1);
    const time = line(message.id).locator('[data-testid="relay-delivered-at"]');
    assert.equal(await time.getAttribute('datetime'), new Date(relay.delivered_at).toISOString(), 'the time it was delivered');
    assert.match(await time.innerText(), /^\d\d:\d\d$/);
    assert.match(await line(message.id).innerText(), /已转发/);
    assert.equal(await line(message.id).locator('button').count(), 0, 'nothing to release or retry');
    assert.ok(await upstreamGot(content), 'the upstream Hookpit received it');
    await assertNoReload(page);
    await row(message.id).screenshot({ path: screenshotPath('relay-delivered') });
  });

  test('a message of a manual relay shows 待放行 until 放行 is clicked, then it is delivered', async () => {
    await setRelay(goodUrl(), 'manual');
    await openChat(page, chatid);
    await markPage(page);
    const content = '转发：等待放行';
    const message = await sendRelayed(content);
    const held = line(message.id, 'held');
    await held.waitFor();
    assert.match(await held.innerText(), /待放行/);
    // Held means held: nothing goes upstream while the page waits.
    await page.waitForTimeout(700);
    assert.equal(await upstreamGot(content), undefined, 'the upstream has not received it');
    assert.equal((await relayOf(message.id)).status, 'held');
    await row(message.id).screenshot({ path: screenshotPath('relay-held') });

    await held.locator('[data-testid="relay-release"]').click();
    await line(message.id, 'delivered').waitFor();
    assert.equal((await relayOf(message.id)).status, 'delivered');
    assert.ok(await upstreamGot(content), 'released, it reached the upstream');
    assert.equal(await line(message.id).locator('[data-testid="relay-release"]').count(), 0, 'no 放行 any more');
    await assertNoReload(page);
  });

  test('a message the upstream refuses (wrong key: 93000) shows the errcode and errmsg; 重试 queues it again', async () => {
    await setRelay(`${upstream.url}/cgi-bin/webhook/send?key=not-the-upstream-key`);
    await openChat(page, chatid);
    await recordStatuses();
    await markPage(page);
    const content = '转发：key 不对';
    const message = await sendRelayed(content);
    const failed = line(message.id, 'failed');
    await failed.waitFor();
    const relay = await relayOf(message.id);
    assert.equal(relay.upstream_errcode, 93000);
    assert.match(relay.upstream_errmsg, /^invalid webhook url/);
    assert.equal(await failed.locator('[data-testid="relay-errcode"]').innerText(), '93000');
    assert.equal(await failed.locator('[data-testid="relay-errmsg"]').textContent(), relay.upstream_errmsg, 'WeCom\'s errmsg as it is');
    assert.match(await failed.innerText(), /转发失败/);
    await row(message.id).screenshot({ path: screenshotPath('relay-failed') });

    // The key is corrected; 重试 queues the message again and it is delivered.
    await setRelay(goodUrl());
    await failed.locator('[data-testid="relay-retry"]').click();
    await line(message.id, 'delivered').waitFor();
    const retried = await relayOf(message.id);
    assert.equal(retried.status, 'delivered');
    assert.equal(retried.attempts, 2, 'the refused attempt and the one after 重试');
    const seen = await seenFor(message.id);
    const refusedAt = seen.map((s) => s.status).lastIndexOf('failed');
    assert.ok(refusedAt >= 0, `转发失败 was shown: ${JSON.stringify(seen)}`);
    assert.ok(seen.slice(refusedAt + 1, -1).some((s) => s.status === 'queued' || s.status === 'delivering'),
      `queued again after 重试 before it was delivered: ${JSON.stringify(seen)}`);
    assert.ok(await upstreamGot(content), 'the upstream received it after 重试');
    await assertNoReload(page);
  });

  test('an upstream\'s hostile errmsg is shown as text, never as HTML', async () => {
    const hostile = '<img src=x onerror="window.__relayXss=1"><b>粗体</b> & "引号" </span><script>window.__relayXss=2</script>';
    const received = [];
    stub = createServer((request, response) => {
      const chunks = [];
      request.on('data', (chunk) => chunks.push(chunk));
      request.on('end', () => {
        received.push(Buffer.concat(chunks).toString('utf8'));
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify({ errcode: 40058, errmsg: hostile }));
      });
    });
    await new Promise((resolvePromise) => { stub.listen(0, '127.0.0.1', resolvePromise); });
    await setRelay(`http://127.0.0.1:${stub.address().port}/cgi-bin/webhook/send?key=stub-key`);
    await openChat(page, chatid);
    const content = '转发：上游回了奇怪的 errmsg';
    const message = await sendRelayed(content);
    const failed = line(message.id, 'failed');
    await failed.waitFor();
    assert.equal(await failed.locator('[data-testid="relay-errcode"]').innerText(), '40058');
    assert.equal(await failed.locator('[data-testid="relay-errmsg"]').textContent(), hostile, 'the errmsg, character for character');
    assert.equal(await failed.locator('img, b, script').count(), 0, 'no element came from it');
    assert.equal(await page.evaluate(() => window.__relayXss), undefined, 'nothing of it ran');
    assert.deepEqual(JSON.parse(received[0]), { chatid, msgtype: 'text', text: { content } }, 'the stub got the sender\'s request');
    // The detail pane shows it as text too (its 详情 button shows on hover, as WeCom's do).
    await row(message.id).hover();
    await row(message.id).locator('[data-action="detail"]').click();
    const detail = page.locator('#detail-body');
    await detail.getByText('转发到企业微信').waitFor();
    assert.ok((await detail.innerText()).includes(hostile), 'in the detail pane, as text');
    assert.equal(await detail.locator('img, b, script').count(), 0);
    assert.equal(await page.evaluate(() => window.__relayXss), undefined);
  });

  test('a message carried by a merged one shows 合并发送, which leads to the carrier', async () => {
    // The server merges (--relay-merge) only once a chat's one-minute window is full, so the
    // `relay` event it then sends for each carried message is replayed into the page's stream
    // here, for two real messages (held: nothing else changes them meanwhile).
    await setRelay(goodUrl(), 'manual');
    await openChat(page, chatid);
    const carrier = await sendRelayed('合并：第一条（带着第二条发出）');
    const carried = await sendRelayed('合并：第二条');
    await line(carried.id, 'held').waitFor();
    const deliveredAt = new Date().toISOString();
    await page.evaluate((view) => {
      window.__hookpitEvents.dispatchEvent(new MessageEvent('relay', { data: JSON.stringify(view) }));
    }, {
      request_id: carried.request_id, bot_id: bot.id, status: 'delivered', attempts: 1,
      upstream_errcode: 0, upstream_errmsg: 'ok', delivered_at: deliveredAt, carried_by: carrier.request_id,
    });
    const merged = line(carried.id, 'delivered');
    await merged.waitFor();
    const link = merged.locator('[data-testid="relay-carrier"]');
    assert.equal(await link.innerText(), '合并发送 ›');
    assert.ok((await link.getAttribute('title')).includes(carrier.request_id), 'it names the carrier\'s request');
    assert.equal(await line(carrier.id, 'held').count(), 1, 'the carrier\'s own line is its own');
    await link.click();
    await page.locator(`#timeline .msg.selected[data-id="${carrier.id}"]`).waitFor();
    await page.locator('#detail-body').getByText(carrier.request_id).waitFor();
    assert.equal(await page.locator('#timeline .msg.selected').count(), 1, 'the carrier is the message shown');
  });

  test('nothing left 127.0.0.1, and no page error or CSP violation happened', () => {
    assert.deepEqual(outside, []);
    assert.deepEqual(pageErrors, []);
  });
});
