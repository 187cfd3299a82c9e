// With `--admin-token`, the inbox asks for the token once, then works as usual: the API calls
// carry it as a Bearer header and the live stream (EventSource cannot send headers) as
// `?access_token=`. Runs against a server of its own, started with the flag.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launch, screenshotPath, startServer } from './lib.js';

const TOKEN = 'browser-test-token-7f3a';
const DEMO_GROUP = 'wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw'; // the official document's example group

describe('an inbox behind --admin-token', () => {
  let server;
  let browser;
  let page;

  async function send(content) {
    const response = await fetch(`${server.url}/cgi-bin/webhook/send?key=${encodeURIComponent(server.key)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ chatid: DEMO_GROUP, msgtype: 'text', text: { content } }),
    });
    assert.equal((await response.json()).errcode, 0, 'the webhook itself needs no admin token');
  }

  before(async () => {
    server = await startServer(['--admin-token', TOKEN]);
    await send('令牌保护下的第一条消息');
    browser = await launch();
    page = browser.page;
  });

  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  test('the API refuses calls without the token', async () => {
    const response = await fetch(`${server.url}/api/v1/chats`);
    assert.equal(response.status, 401);
  });

  test('the inbox asks for the token, then shows the chats', async () => {
    await page.goto(`${server.url}/`);
    const input = page.locator('.token-form input[name="token"]');
    await input.waitFor();
    await page.screenshot({ path: screenshotPath('token-form') });
    await input.fill(TOKEN);
    await page.locator('.token-form button[type="submit"]').click();
    await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
    await page.locator('#timeline').getByText('令牌保护下的第一条消息').waitFor();
    assert.equal(await page.locator('.token-form').count(), 0, 'no second prompt');
  });

  test('live messages arrive through the token-protected event stream', async () => {
    await page.waitForFunction(() => window.__hookpitEvents && window.__hookpitEvents.readyState === EventSource.OPEN);
    await page.evaluate(() => { window.__hookpitNoReload = true; });
    await send('实时到达的第二条消息');
    await page.locator('#timeline').getByText('实时到达的第二条消息').waitFor();
    assert.equal(await page.evaluate(() => window.__hookpitNoReload), true, 'without a reload');
  });
});
