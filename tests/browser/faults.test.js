// The fault-injection page (故障注入): a rule added in the page makes the next webhook call fail
// with its errcode, the refusal shows on the rejections page marked "注入", the rule's counters
// follow the calls, and it can be deleted; a rule the server refuses shows the server's message
// as it is.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BASE, api, demoBot, launch, listOf, newGroup, screenshotPath, sendRaw } from './lib.js';

describe('the fault-injection page', () => {
  let browser;
  let page;
  let chatid;
  let bot;
  const pageErrors = [];

  /** Opens `#/faults` from the rail (when it is open already, the page refreshes on its own). */
  async function openFaults() {
    await page.click('.rail-item[data-nav="faults"]');
    await page.waitForSelector('body[data-view="faults"]');
    await page.waitForSelector('#fault-form select[name="bot_id"] option[value="demo"]', { state: 'attached' });
  }

  before(async () => {
    await api('/faults', { method: 'DELETE' }); // whatever another run left
    chatid = await newGroup('故障注入测试群');
    bot = await demoBot();
    browser = await launch();
    page = browser.page;
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) pageErrors.push(message.text());
    });
    await page.goto(`${BASE}/`);
    await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
  });

  after(async () => {
    await api('/faults', { method: 'DELETE' }).catch(() => {});
    if (browser) await browser.close();
  });

  test('a rule "errcode 45009, next 1 call" fails the next call only, and counts both', async () => {
    await openFaults();
    const form = page.locator('[data-testid="fault-form"]');
    await form.locator('[data-testid="fault-effect"]').selectOption('errcode');
    await form.locator('[data-testid="fault-errcode"]').fill('45009');
    await form.locator('[data-testid="fault-trigger"]').selectOption('times');
    await form.locator('[data-testid="fault-times"]').fill('1');
    await form.locator('[data-testid="fault-bot"]').selectOption(bot.id);
    await form.locator('[data-testid="fault-chatid"]').fill(chatid);
    await form.locator('[data-testid="fault-add"]').click();
    const row = page.locator('[data-testid="fault"]');
    await row.waitFor();
    assert.equal(await row.count(), 1);
    assert.match(await row.innerText(), /errcode 45009/);
    assert.match(await row.locator('[data-testid="fault-trigger-text"]').innerText(), /接下来 1 次/);
    const [rule] = listOf(await api('/faults'), 'faults');
    assert.deepEqual(
      { match: rule.match, effect: rule.effect, times: rule.times },
      { match: { bot_id: bot.id, chatid }, effect: { errcode: 45009 }, times: 1 },
      'the page sent the rule as asked',
    );

    const body = { chatid, msgtype: 'text', text: { content: '故障注入下的消息' } };
    const first = await sendRaw(body);
    assert.equal(first.errcode, 45009, `the first call is refused by the rule: ${JSON.stringify(first)}`);
    assert.match(first.errmsg, /api freq out of limit/);
    const second = await sendRaw(body);
    assert.equal(second.errcode, 0, `the second call goes through: ${JSON.stringify(second)}`);

    // The counters follow (the page refreshes them on its own).
    await page.waitForFunction(() => {
      const r = document.querySelector('[data-testid="fault"]');
      return r && r.querySelector('[data-testid="fault-matched"]').textContent === '2'
        && r.querySelector('[data-testid="fault-injected"]').textContent === '1';
    });
    assert.match(await row.locator('[data-testid="fault-trigger-text"]').innerText(), /剩 0 次/);
    await page.screenshot({ path: screenshotPath('faults') });

    // The refusal is on the rejections page, marked as injected.
    await page.click('.rail-item[data-nav="rejections"]');
    await page.waitForSelector('body[data-view="rejections"]');
    const injected = page.locator('[data-testid="rejection"]').filter({ hasText: '45009' }).filter({ hasText: '故障注入下的消息' });
    await injected.first().waitFor();
    assert.equal(await injected.first().locator('[data-testid="injected"]').innerText(), '注入');
    assert.equal(await injected.first().getAttribute('data-injected'), 'true');
    await page.screenshot({ path: screenshotPath('rejections-injected') });
  });

  test('a rule is deleted from the page', async () => {
    await openFaults();
    const row = page.locator('[data-testid="fault"]');
    await row.waitFor();
    await row.locator('[data-testid="fault-delete"]').click();
    await row.waitFor({ state: 'detached' });
    await page.locator('#faults-empty').waitFor();
    assert.deepEqual(listOf(await api('/faults'), 'faults'), [], 'the server has no rule left');
  });

  test('a rule the server refuses shows its message verbatim', async () => {
    const refused = await fetch(`${BASE}/api/v1/faults`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ effect: { errcode: 12345 } }),
    });
    assert.equal(refused.status, 400);
    const { message } = await refused.json();
    assert.match(message, /12345/);

    const form = page.locator('[data-testid="fault-form"]');
    await form.locator('[data-testid="fault-bot"]').selectOption('');
    await form.locator('[data-testid="fault-chatid"]').fill('');
    await form.locator('[data-testid="fault-effect"]').selectOption('errcode');
    await form.locator('[data-testid="fault-errcode"]').fill('12345');
    await form.locator('[data-testid="fault-trigger"]').selectOption('always');
    await form.locator('[data-testid="fault-add"]').click();
    const error = page.locator('[data-testid="fault-error"]');
    await error.waitFor();
    assert.equal(await error.textContent(), message, 'the 400 message, as the server wrote it');
    assert.equal(await page.locator('[data-testid="fault"]').count(), 0, 'nothing was added');
    await page.screenshot({ path: screenshotPath('faults-refused') });
  });

  test('"delete all" removes every rule after a confirmation; what a rule matches stays text', async () => {
    const hostile = '<img src=x onerror="window.__faultXss=1">';
    await api('/faults', { method: 'POST', body: { effect: { http_status: 502 }, match: { chatid: hostile } } });
    await api('/faults', { method: 'POST', body: { effect: { delay_ms: 10 }, match: { msgtype: hostile } } });
    await openFaults();
    await page.locator('[data-testid="fault"]').nth(1).waitFor();
    const table = page.locator('[data-testid="faults"]');
    assert.match(await table.innerText(), /HTTP 502[\s\S]*延迟 10 毫秒/);
    assert.ok((await table.innerText()).includes(hostile), 'the match is shown as it is');
    assert.equal(await table.locator('img').count(), 0, 'and never as HTML');
    assert.equal(await page.evaluate(() => window.__faultXss), undefined);
    page.once('dialog', (dialog) => dialog.accept());
    await page.click('[data-testid="faults-clear"]');
    await page.locator('#faults-empty').waitFor();
    assert.deepEqual(listOf(await api('/faults'), 'faults'), []);
  });

  test('no page error and no CSP violation happened', () => {
    assert.deepEqual(pageErrors, []);
  });
});
