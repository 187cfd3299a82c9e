// The inbox around the messages: landing on the most recently active chat, unread counts, the
// bots page, the live rejections log, search and clear.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  BASE, KEY, api, assertNoReload, launch, listOf, markPage, newGroup, openChat, screenshotPath, send, sendRaw,
} from './lib.js';

describe('the inbox', () => {
  let browser;
  let page;
  let quiet;
  let busy;

  before(async () => {
    quiet = await newGroup('安静的群');
    busy = await newGroup('最近活跃的群');
    await send({ chatid: quiet, msgtype: 'text', text: { content: '较早的一条消息' } });
    await send({ chatid: busy, msgtype: 'text', text: { content: '部署完成：v1.2.3 已上线' } });
    await send({ chatid: busy, msgtype: 'markdown', markdown: { content: '**构建失败**\n> 分支：main' } });
    browser = await launch();
    page = browser.page;
  });

  after(async () => {
    if (browser) await browser.close();
  });

  test('opening / lands on the most recently active chat', async () => {
    await page.goto(`${BASE}/`);
    await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
    await page.waitForFunction((id) => decodeURIComponent(location.hash) === `#/chat/${id}`, busy);
    await page.locator('#timeline').getByText('部署完成：v1.2.3 已上线').waitFor();
    await markPage(page);
    await page.screenshot({ path: screenshotPath('landing') });
  });

  test('a message to another chat raises its unread count live, and opening it clears the count', async () => {
    await send({ chatid: quiet, msgtype: 'text', text: { content: '新的未读消息' } });
    const item = page.locator(`.chat-item[data-chatid="${quiet}"]`);
    await item.locator('[data-testid="unread"]').waitFor();
    assert.ok(Number(await item.locator('[data-testid="unread"]').innerText()) >= 1);
    await item.click();
    await page.locator('#timeline').getByText('新的未读消息').waitFor();
    await item.locator('[data-testid="unread"]').waitFor({ state: 'detached' });
    await page.waitForFunction(async (id) => {
      const response = await fetch('/api/v1/chats');
      const data = await response.json();
      const chats = Array.isArray(data) ? data : data.chats;
      return chats.find((c) => c.chatid === id).unread === 0;
    }, quiet);
    await assertNoReload(page);
  });

  test('search narrows the timeline to matching messages', async () => {
    await openChat(page, busy);
    await page.locator('.msg').nth(1).waitFor();
    await page.fill('[data-testid="search"]', '部署');
    await page.press('[data-testid="search"]', 'Enter');
    await page.waitForFunction(() => document.querySelectorAll('.msg').length === 1);
    assert.match(await page.locator('.msg').innerText(), /部署完成/);
    await page.fill('[data-testid="search"]', '');
    await page.press('[data-testid="search"]', 'Enter');
    await page.waitForFunction(() => document.querySelectorAll('.msg').length === 2);
  });

  test('the bots page shows each webhook URL with a copy button and a curl example', async () => {
    await page.goto(`${BASE}/#/bots`);
    const card = page.locator('[data-testid="bot"]').filter({ hasText: KEY }).first();
    await card.waitFor();
    assert.ok((await card.locator('[data-testid="copy"]').count()) >= 1);
    const curl = await card.locator('[data-testid="curl"]').innerText();
    assert.match(curl, /^curl '.*\/cgi-bin\/webhook\/send\?key=/);
    assert.match(curl, /"msgtype": "text"/);
    await card.locator('[data-testid="copy"]').first().click();
    await page.locator('#toast').getByText('已复制').waitFor();
    await page.screenshot({ path: screenshotPath('bots') });
  });

  test('the rejections log shows refused calls live', async () => {
    await page.goto(`${BASE}/#/rejections`);
    await page.waitForSelector('body[data-view="rejections"]');
    await sendRaw({ msgtype: 'TEXT', text: { content: 'wrong case' } }); // WeCom: 40008
    await sendRaw({ msgtype: 'text', text: { content: 'x' } }, { key: 'no-such-key' }); // 93000
    const rows = page.locator('[data-testid="rejection"]');
    await rows.filter({ hasText: '40008' }).first().waitFor();
    await rows.filter({ hasText: '93000' }).first().waitFor();
    await page.screenshot({ path: screenshotPath('rejections') });
  });

  test('the rejections log shows the whole request excerpt, wrapped', async () => {
    const token = `tok_${'x'.repeat(300)}`; // one long unbroken word, as a media id or base64 is
    await sendRaw({ msgtype: 'TEXT', text: { content: `开头 ${token} 结尾` } });
    const [latest] = listOf(await api('/rejections?limit=1'), 'rejections');
    assert.ok(latest.body_excerpt.includes('结尾'), 'the server kept the whole (short) body');
    const excerpt = page.locator('[data-testid="rejection"]').filter({ hasText: '结尾' }).first().locator('[data-testid="excerpt"]');
    await excerpt.waitFor();
    assert.equal(await excerpt.textContent(), latest.body_excerpt, 'all of it, not a clipped line');
    const box = await excerpt.evaluate((el) => ({
      scrollWidth: el.scrollWidth, clientWidth: el.clientWidth, scrollHeight: el.scrollHeight,
      clientHeight: el.clientHeight, overflowY: getComputedStyle(el).overflowY,
    }));
    assert.ok(box.scrollWidth <= box.clientWidth, `wrapped, nothing cut on the right: ${JSON.stringify(box)}`);
    assert.ok(box.clientHeight > 60, `more than a clipped line or three: ${JSON.stringify(box)}`);
    assert.ok(box.scrollHeight <= box.clientHeight || box.overflowY === 'auto', `what does not fit scrolls: ${JSON.stringify(box)}`);
  });

  test('a blackboard shows posts with their replies', async () => {
    const blackboards = listOf(await api('/chats?kind=blackboard'), 'chats');
    const board = blackboards.find((c) => c.kind === 'blackboard');
    assert.ok(board, 'the demo workspace has a blackboard');
    const postId = 'bpkSFfCgAAWeiHNo2p6lJbG3_F2xxxxx'; // the official document's example post
    await openChat(page, board.chatid);
    await send({ chatid: board.chatid, msgtype: 'text', text: { content: '机器人在小黑板发的新帖子' } });
    await send({ chatid: board.chatid, post_id: postId, msgtype: 'text', text: { content: '对示例帖子的回复' } });
    await send({
      chatid: board.chatid, post_id: postId, msgtype: 'markdown', markdown: { content: '**第二条回复**\n> 引用' },
    });
    const post = page.locator('[data-testid="post"]').filter({ hasText: '对示例帖子的回复' });
    await post.waitFor();
    // The second reply arrives by the live stream a moment after the first: wait for it (the
    // assertion below says what is wrong if it never lands under this post).
    await post.filter({ hasText: '第二条回复' }).waitFor({ timeout: 5000 }).catch(() => {});
    assert.match(await post.innerText(), /第二条回复/, 'both replies sit under the same post');
    // A bot message without post_id opens a new post: it heads the post (titled by its first
    // line) instead of showing as a reply to an unknown post.
    const botPost = page.locator('[data-testid="post"]').filter({
      has: page.locator('.post-title', { hasText: '机器人在小黑板发的新帖子' }),
    });
    await botPost.waitFor();
    assert.equal(await botPost.locator('.post-replies').count(), 0, 'the opening message is not a reply');
    await assertNoReload(page);
    await page.screenshot({ path: screenshotPath('blackboard') });
  });

  test('a long chat opens on its newest page and loads older messages on demand', async () => {
    const long = await newGroup('很长的群');
    for (let n = 1; n <= 60; n += 1) {
      await send({ chatid: long, msgtype: 'text', text: { content: `第 ${n} 条` } });
    }
    await openChat(page, long);
    const rows = page.locator('#timeline .msg');
    await page.locator('#timeline').getByText('第 60 条', { exact: true }).waitFor();
    assert.equal(await rows.count(), 50, 'the first page holds the 50 newest');
    assert.equal(await page.locator('#timeline').getByText('第 10 条', { exact: true }).count(), 0);
    await page.click('[data-action="older"]');
    await page.locator('#timeline').getByText('第 1 条', { exact: true }).waitFor();
    assert.equal(await rows.count(), 60);
    assert.equal(await page.locator('[data-action="older"]').count(), 0, 'no older page is left');
    const order = await rows.locator('.msg-body').allInnerTexts();
    assert.deepEqual(order.map((t) => t.trim()), Array.from({ length: 60 }, (_, i) => `第 ${i + 1} 条`), 'oldest first');
  });

  test('clear, after a confirmation, empties the inbox live, in every open inbox', async () => {
    await openChat(page, busy);
    await page.locator('.msg').first().waitFor();
    // A second inbox on the same chat learns of the clear from the event stream alone.
    const other = await browser.context.newPage();
    await openChat(other, busy);
    await other.locator('.msg').first().waitFor();
    await markPage(other);

    page.once('dialog', (dialog) => dialog.accept());
    await page.click('[data-testid="clear-all"]');
    await page.locator('.timeline-empty').waitFor();
    assert.equal(await page.locator('.msg').count(), 0);
    await other.locator('.timeline-empty').waitFor();
    assert.equal(await other.locator('.msg').count(), 0);
    await assertNoReload(other);
    await other.close();
    const left = listOf(await api(`/messages?chatid=${encodeURIComponent(busy)}`), 'messages');
    assert.equal(left.length, 0);
  });
});
