// "View as": a message sent with visible_to_user is shown only to those users, both when the
// chat is loaded and when messages arrive live.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertNoReload, launch, markPage, newGroup, openChat, screenshotPath, send } from './lib.js';

describe('"view as" applies visible_to_user', () => {
  let browser;
  let page;
  let chatid;

  const bodies = (page) => page.locator('.msg .msg-body');
  async function texts() {
    return (await bodies(page).allInnerTexts()).map((t) => t.trim());
  }
  async function viewAs(userid) {
    await page.selectOption('[data-testid="view-as"]', userid);
    await page.waitForFunction((u) => {
      const timeline = document.querySelector('#timeline-inner');
      return !timeline.querySelector('.timeline-loading') && (document.querySelector('#view-as').value === u);
    }, userid);
    await page.waitForSelector('.msg, .timeline-empty');
  }

  before(async () => {
    chatid = await newGroup('可见范围测试群');
    await send({ chatid, msgtype: 'text', text: { content: '所有人可见的通知' } });
    await send({ chatid, visible_to_user: 'zhangsan', msgtype: 'text', text: { content: '只有张三能看到的消息' } });
    await send({ chatid, visible_to_user: 'zhangsan|lisi', msgtype: 'markdown', markdown: { content: '**张三和李四可见**' } });
    browser = await launch();
    page = browser.page;
    await openChat(page, chatid);
    await page.waitForSelector('.msg');
    await markPage(page);
  });

  after(async () => {
    if (browser) await browser.close();
  });

  test('the admin view shows everything and marks restricted messages', async () => {
    await viewAs('');
    await page.locator('.msg').nth(2).waitFor();
    const all = await texts();
    assert.equal(all.length, 3);
    assert.ok(all.some((t) => t.includes('只有张三能看到的消息')));
    assert.equal(await page.locator('[data-testid="visibility"]').count(), 2, 'two messages carry a "仅…可见" tag');
  });

  test('wangqing sees only the message for everyone', async () => {
    await viewAs('wangqing');
    await page.waitForFunction(() => document.querySelectorAll('.msg').length === 1);
    const seen = await texts();
    assert.equal(seen.length, 1);
    assert.match(seen[0], /所有人可见的通知/);
    await page.screenshot({ path: screenshotPath('view-as-wangqing') });
  });

  test('lisi sees the message addressed to zhangsan and lisi, not the one for zhangsan only', async () => {
    await viewAs('lisi');
    await page.waitForFunction(() => document.querySelectorAll('.msg').length === 2);
    const seen = (await texts()).join('\n');
    assert.match(seen, /张三和李四可见/);
    assert.doesNotMatch(seen, /只有张三能看到的消息/);
  });

  test('zhangsan sees all three', async () => {
    await viewAs('zhangsan');
    await page.waitForFunction(() => document.querySelectorAll('.msg').length === 3);
  });

  test('a message to a userid opens a single chat that only that user sees', async () => {
    await viewAs('');
    // The demo bot has zhangsan in its subscription scope, so it may write to him directly.
    await send({ chatid: 'zhangsan', msgtype: 'text', text: { content: '给张三的单聊消息' } });
    const single = page.locator('.chat-item[data-kind="single"]').filter({ hasText: '张三' });
    await single.waitFor();
    await page.click('#chat-tabs button[data-kind="single"]');
    assert.equal(await page.locator('.chat-item[data-kind="group"]').count(), 0, 'the 单聊 tab lists single chats only');
    await single.click();
    await page.locator('#timeline').getByText('给张三的单聊消息').waitFor();
    await page.screenshot({ path: screenshotPath('single-chat') });
    await page.click('#chat-tabs button[data-kind=""]');

    await openChat(page, chatid);
    await viewAs('lisi');
    await single.waitFor({ state: 'detached' });
    await viewAs('zhangsan');
    await single.waitFor();
    await assertNoReload(page);
  });

  test('live messages respect the selected user too', async () => {
    await viewAs('lisi');
    await page.waitForFunction(() => document.querySelectorAll('.msg').length === 2);
    await send({ chatid, visible_to_user: 'zhangsan', msgtype: 'text', text: { content: '又一条只给张三的消息' } });
    await send({ chatid, msgtype: 'text', text: { content: '紧接着一条所有人可见的消息' } });
    await page.locator('#timeline').getByText('紧接着一条所有人可见的消息').waitFor();
    const seen = (await texts()).join('\n');
    assert.doesNotMatch(seen, /又一条只给张三的消息/, 'the live message for zhangsan is not shown to lisi');
    await assertNoReload(page);

    await viewAs('zhangsan');
    await page.locator('#timeline').getByText('又一条只给张三的消息').waitFor();
    await viewAs('');
  });
});
