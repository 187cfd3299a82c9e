// Two-way callbacks in the inbox, against a real receiver: the SDK's echo bot
// (crates/client/examples/echo_bot.rs). The demo bot's callback URL is set through the bots
// page; people write through the composer (with the mention picker), click markdown buttons,
// open a single chat and send a picture; the bot's passive replies arrive live; the callback log
// shows each callback decrypted, request and reply side by side. Nothing leaves 127.0.0.1.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  BASE, api, assertNoReload, chooseViewAs, closedPort, demoBot, launch, listOf, markPage, newestMessage,
  openChat, png, randomAesKey, randomToken, screenshotPath, send, startEchoBot,
} from './lib.js';

// The demo workspace's group and blackboard (crates/server/src/store/demo.rs).
const DEMO_GROUP = 'wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw';
const DEMO_BLACKBOARD = 'wrkSFfCgAAbLackBoardDemo4xqDatM5';
const DEMO_POST = 'bpkSFfCgAAWeiHNo2p6lJbG3_F2xxxxx';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

describe('callbacks: people write, click and open chats; the bot answers', () => {
  const token = randomToken();
  const key = randomAesKey();
  let echo;
  let bot;
  let browser;
  let page;
  const outside = [];
  const pageErrors = [];

  const card = () => page.locator(`[data-testid="bot"][data-bot-id="${bot.id}"]`);
  const settings = () => card().locator('[data-testid="callback-settings"]');

  async function openBots() {
    await page.goto(`${BASE}/#/bots`);
    await page.waitForSelector('body[data-view="bots"]');
    await settings().locator('[data-testid="callback-url"]').waitFor();
  }

  /** The newest callback of the demo bot that `match` accepts, once it is no longer pending. */
  async function settledCallback(match) {
    for (let n = 0; n < 100; n += 1) {
      const entries = listOf(await api(`/callbacks?bot_id=${encodeURIComponent(bot.id)}&limit=50`), 'callbacks');
      const found = entries.find(match);
      if (found && found.status !== 'pending') return found;
      await new Promise((resolvePromise) => { setTimeout(resolvePromise, 100); });
    }
    throw new Error('no settled callback matched');
  }

  before(async () => {
    bot = await demoBot();
    // A bot without a callback answers the DELETE with a 404: fine, there is none.
    await api(`/bots/${encodeURIComponent(bot.id)}/callback`, { method: 'DELETE' }).catch(() => {});
    echo = await startEchoBot({ token, key });
    browser = await launch();
    page = browser.page;
    // Nothing may leave the machine: any other host is refused and recorded.
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
    if (bot) await api(`/bots/${encodeURIComponent(bot.id)}/callback`, { method: 'DELETE' }).catch(() => {});
    if (browser) await browser.close();
    if (echo) await echo.stop();
  });

  test('the bots page saves the callback URL once the echo bot passes the verification', async () => {
    await openBots();
    assert.match(await settings().locator('[data-testid="callback-state"]').innerText(), /未配置/);
    await settings().locator('[data-testid="callback-url"]').fill(echo.url);
    await settings().locator('[data-testid="callback-token"]').fill(token);
    await settings().locator('[data-testid="callback-encoding_aes_key"]').fill(key);
    await settings().locator('[data-testid="callback-save"]').click();
    await settings().locator('[data-testid="callback-state"]', { hasText: '已验证' }).waitFor();
    assert.equal(await settings().locator('[data-testid="callback-format"]').innerText(), 'xml');
    assert.equal(await settings().locator('[data-testid="callback-error-box"]').isVisible(), false);
    const saved = await api(`/bots/${encodeURIComponent(bot.id)}/callback`);
    assert.equal(saved.url, echo.url);
    assert.equal(saved.token, token);
    assert.equal(saved.encoding_aes_key, key);
    await settings().screenshot({ path: screenshotPath('callback-settings') });
  });

  test('as 张三, "@演示机器人 hello" written with the mention picker gets the echo bot\'s "hello" live', async () => {
    await openChat(page, DEMO_GROUP);
    await chooseViewAs(page, '');
    // Nobody to write as: the composer says so.
    const blocked = page.locator('[data-testid="composer-blocked"]');
    await blocked.waitFor();
    assert.match(await blocked.innerText(), /视角/);
    assert.equal(await page.locator('[data-testid="composer-text"]').isDisabled(), true);

    await chooseViewAs(page, 'zhangsan');
    await blocked.waitFor({ state: 'hidden' });
    await markPage(page);
    const box = page.locator('[data-testid="composer-text"]');
    await box.click();
    await page.keyboard.type('@');
    const option = page.locator('[data-testid="mention-picker"] [data-testid="mention-option"]', { hasText: bot.name });
    await option.waitFor();
    await page.screenshot({ path: screenshotPath('composer-mention-picker') });
    await option.click();
    assert.equal(await box.inputValue(), `@${bot.name} `, 'the picker writes "@BotName " as WeCom does');
    await page.keyboard.type('hello');
    await page.keyboard.press('Enter');

    const own = page.locator('#timeline .msg.msg-own[data-from="user"]', { hasText: `@${bot.name} hello` });
    await own.waitFor();
    assert.equal(await box.inputValue(), '', 'the box is emptied once sent');
    const reply = page.locator('#timeline .msg[data-from="bot"]', { has: page.locator('.msg-body', { hasText: /^\s*hello\s*$/ }) });
    await reply.waitFor();
    assert.equal(await reply.locator('.msg-sender').innerText(), bot.name, 'the reply is the bot\'s message');
    // Own messages sit on the right, as WeCom shows yours: the avatar right of the bubble.
    const avatarBox = await own.locator('.msg-avatar').boundingBox();
    const bodyBox = await own.locator('.msg-body').boundingBox();
    assert.ok(avatarBox.x > bodyBox.x + bodyBox.width - 1, 'the avatar is right of the bubble');
    const timelineBox = await page.locator('#timeline-inner').boundingBox();
    assert.ok(avatarBox.x > timelineBox.x + timelineBox.width / 2, 'on the right side of the timeline');
    // The answer of the POST and the event stream both brought it: shown once.
    await page.waitForTimeout(300);
    assert.equal(await own.count(), 1, 'no duplicate');
    const ownId = Number(await own.getAttribute('data-id'));
    const replyId = Number(await reply.getAttribute('data-id'));
    assert.ok(replyId > ownId, 'the reply follows the message');

    const note = page.locator('[data-testid="composer-note"] [data-testid="note-callback"]');
    await note.waitFor();
    await page.locator('[data-testid="note-callback"][data-status="delivered"]').waitFor();
    const entry = await settledCallback((c) => c.message_id === ownId);
    assert.equal(entry.status, 'delivered');
    assert.equal(await note.getAttribute('href'), `#/callbacks/${bot.id}/${entry.id}`);
    await assertNoReload(page);
    await page.screenshot({ path: screenshotPath('callbacks-composer') });
  });

  test('the composer\'s note opens the callback log: the decrypted request and reply side by side', async () => {
    await page.locator('[data-testid="note-callback"]').click();
    await page.waitForSelector('body[data-view="callbacks"]');
    const active = page.locator('.callback-item.active');
    await active.waitFor();
    assert.equal(await active.getAttribute('data-event'), 'text');
    assert.equal(await active.getAttribute('data-status'), 'delivered');
    const id = Number(await active.getAttribute('data-id'));
    const entry = await api(`/callbacks/${id}`);

    const request = page.locator('[data-testid="callback-request-plaintext"]');
    const response = page.locator('[data-testid="callback-reply-plaintext"]');
    const requestText = await request.innerText();
    assert.match(requestText, new RegExp(`<Content><!\\[CDATA\\[@${bot.name} hello\\]\\]></Content>`));
    assert.match(requestText, /\n {2}<From>\n {4}<UserId><!\[CDATA\[zhangsan\]\]><\/UserId>/, 'pretty-printed, one element per line');
    assert.equal(requestText.replace(/\n\s*/g, ''), entry.request.plaintext, 'the decrypted request, only indented');
    const responseText = await response.innerText();
    assert.match(responseText, /<Content><!\[CDATA\[hello\]\]><\/Content>/);
    assert.equal(responseText.replace(/\n\s*/g, ''), entry.response.plaintext);
    const left = await page.locator('[data-testid="callback-request"]').boundingBox();
    const right = await page.locator('[data-testid="callback-response"]').boundingBox();
    assert.ok(left.x + left.width <= right.x, 'request on the left, response on the right');
    assert.ok(Math.abs(left.y - right.y) < 2, 'side by side');
    assert.equal(await page.locator('[data-testid="response-status"]').innerText(), 'HTTP 200');
    assert.match(await page.locator('[data-testid="reply-outcome"]').innerText(), /被动回复已作为/);
    const attempts = page.locator('[data-testid="callback-attempts"] [data-testid="attempt"]');
    assert.equal(await attempts.count(), 1);
    assert.match(await attempts.first().innerText(), /200/);
    // The encrypted envelopes are there, folded.
    const rawBody = page.locator('[data-testid="raw-request-body"]');
    assert.equal(await rawBody.isVisible(), false, 'the raw envelopes start collapsed');
    await page.locator('[data-testid="callback-raw"] summary').click();
    await rawBody.waitFor();
    assert.match(await rawBody.innerText(), /<Encrypt>/);
    await page.locator('[data-testid="callback-raw"] summary').click();
    await page.screenshot({ path: screenshotPath('callback-log') });

    // A callback caused elsewhere (here: through the API) shows up in the open log by itself.
    await markPage(page);
    const written = await api(`/chats/${DEMO_GROUP}/messages`, {
      method: 'POST', body: { from: 'wangqing', msgtype: 'text', text: { content: `@${bot.name} 实时` } },
    });
    const [queued] = written.callbacks;
    await page.locator(`[data-testid="callback"][data-id="${queued.id}"][data-status="delivered"]`).waitFor();
    assert.equal(await page.locator('[data-testid="callback"]').first().getAttribute('data-id'), String(queued.id), 'newest first');
    await assertNoReload(page);
  });

  test('a button clicked as 李四 goes through the API: replace_text, an attachment callback, kept after a reload for 李四 only', async () => {
    await send({
      chatid: DEMO_GROUP,
      msgtype: 'markdown',
      markdown: {
        content: '**午饭订几人份？**\n请选择',
        attachments: [{
          callback_id: 'lunch_count',
          actions: ['1', '2', '3'].map((n) => ({
            name: `count_${n}`, text: `${n} 份`, type: 'button', value: n, replace_text: `已订 ${n} 份`,
          })),
        }],
      },
    });
    const message = await newestMessage(DEMO_GROUP);
    await openChat(page, DEMO_GROUP);
    const row = page.locator(`#timeline .msg[data-id="${message.id}"]`);
    const buttons = row.locator('button[data-replace-text]');

    await chooseViewAs(page, '');
    await buttons.first().waitFor();
    await buttons.first().click();
    await page.locator('#toast', { hasText: '视角' }).waitFor();
    assert.equal(await buttons.count(), 3, 'without a viewer nobody clicked: the buttons stay');

    await chooseViewAs(page, 'lisi');
    await buttons.filter({ hasText: '2 份' }).click();
    await row.getByText('已订 2 份').waitFor();
    assert.equal(await buttons.count(), 0, 'the attachment shows the replace_text instead of its buttons');
    await page.locator('#timeline .msg[data-from="bot"] .msg-body', { hasText: 'you chose 2' }).waitFor();
    const chosen = listOf(await api(`/messages?chatid=${DEMO_GROUP}&as_user=lisi&limit=20`), 'messages').find((m) => m.id === message.id);
    assert.deepEqual(chosen.chosen, { lunch_count: 'count_2' }, 'the click was recorded for 李四');

    // The bots page leads to the bot's callback log.
    await openBots();
    await settings().locator('[data-testid="callback-log-link"]').click();
    await page.waitForSelector('body[data-view="callbacks"]');
    const clicked = page.locator('[data-testid="callback"][data-event="attachment"]').first();
    await page.locator('[data-testid="callback"][data-event="attachment"][data-status="delivered"]').first().waitFor();
    await clicked.click();
    assert.match(await page.locator('[data-testid="callback-request-plaintext"]').innerText(), /<CallbackId><!\[CDATA\[lunch_count\]\]><\/CallbackId>/);

    await openChat(page, DEMO_GROUP);
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
    assert.equal(await page.locator('#view-as').inputValue(), 'lisi');
    await row.getByText('已订 2 份').waitFor();
    assert.equal(await buttons.count(), 0, '李四 still sees the choice after a reload');
    await chooseViewAs(page, 'zhangsan');
    await buttons.first().waitFor();
    assert.equal(await buttons.count(), 3, '张三 did not click: the buttons are there for him');
    assert.equal(await row.getByText('已订 2 份').count(), 0);
  });

  test('a failed verification shows the server\'s message verbatim and keeps the saved URL', async () => {
    const port = await closedPort();
    const nowhere = `http://127.0.0.1:${port}/callback`;
    await openBots();
    await settings().locator('[data-testid="callback-url"]').fill(nowhere);
    await settings().locator('[data-testid="callback-save"]').click();
    const error = settings().locator('[data-testid="callback-error"]');
    await error.waitFor();
    const shown = await error.innerText();
    // The same request straight to the API: the page shows its message as it is.
    const response = await fetch(`${BASE}/api/v1/bots/${encodeURIComponent(bot.id)}/callback`, {
      method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ url: nowhere, token, encoding_aes_key: key }),
    });
    assert.equal(response.status, 422);
    const refused = await response.json();
    assert.equal(refused.code, 'verification_failed');
    assert.equal(shown, refused.message);
    assert.match(shown, new RegExp(`127\\.0\\.0\\.1:${port}`));
    assert.equal((await api(`/bots/${encodeURIComponent(bot.id)}/callback`)).url, echo.url, 'the working URL stays saved');
    await settings().screenshot({ path: screenshotPath('callback-verification-failed') });
  });

  test('opening the single chat as 张三 calls back enter_chat; a picture, then text with a picture, call back image and mixed', async () => {
    await openChat(page, DEMO_GROUP);
    await chooseViewAs(page, 'zhangsan');
    await openBots();
    const open = card().locator('[data-testid="open-single-chat"]');
    assert.match(await open.innerText(), /张三/);
    await open.click();
    await page.waitForFunction(() => decodeURIComponent(location.hash).startsWith('#/chat/'));
    const chatid = decodeURIComponent(await page.evaluate(() => location.hash)).slice('#/chat/'.length);
    const chat = await api(`/chats/${encodeURIComponent(chatid)}`);
    assert.equal(chat.kind, 'single');
    assert.deepEqual(chat.members, ['zhangsan']);
    const note = page.locator('[data-testid="note-callback"]');
    await note.waitFor();
    assert.match(await page.locator('[data-testid="composer-note"]').innerText(), /打开单聊触发了 1 个回调/);
    await page.locator('[data-testid="note-callback"][data-status="delivered"]').waitFor();
    const entered = await settledCallback((c) => c.chatid === chatid && c.event === 'enter_chat');
    assert.equal(entered.status, 'delivered');

    await page.locator('[data-testid="composer-file"]').setInputFiles({ name: 'chart.png', mimeType: 'image/png', buffer: png(120, 80) });
    await page.locator('[data-testid="tray-picture"] canvas').waitFor();
    await page.locator('[data-testid="composer-send"]').click();
    const own = page.locator('#timeline .msg.msg-own[data-msgtype="image"]');
    await own.waitFor();
    const img = own.locator('img');
    await page.waitForFunction((el) => el.complete && el.naturalWidth === 120, await img.elementHandle());
    await page.locator('[data-testid="note-callback"][data-status="delivered"]').waitFor();
    const picture = await settledCallback((c) => c.chatid === chatid && c.event === 'image');
    assert.equal(picture.status, 'delivered');
    assert.match(picture.request.plaintext, /<ImageUrl>|"image_url"|<Image>/);

    // Text and a picture together: a mixed message, called back as such in a single chat.
    await page.locator('[data-testid="composer-text"]').fill('看看这张图');
    await page.locator('[data-testid="composer-file"]').setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: png(64, 48) });
    await page.locator('[data-testid="tray-picture"] canvas').waitFor();
    await page.locator('[data-testid="composer-text"]').press('Enter');
    const mixed = page.locator('#timeline .msg.msg-own[data-msgtype="mixed"]');
    await mixed.waitFor();
    assert.match(await mixed.innerText(), /看看这张图/);
    assert.equal(await mixed.locator('img').count(), 1);
    const both = await settledCallback((c) => c.chatid === chatid && c.event === 'mixed');
    assert.equal(both.status, 'delivered');
    await page.screenshot({ path: screenshotPath('callbacks-single-chat') });
  });

  test('on a blackboard the composer opens a new post, or replies to the post chosen', async () => {
    await openChat(page, DEMO_BLACKBOARD);
    await chooseViewAs(page, 'zhangsan');
    const target = page.locator('[data-testid="composer-target"]');
    assert.match(await target.innerText(), /发新帖/);
    const box = page.locator('[data-testid="composer-text"]');
    await box.fill('周五团建去哪儿？');
    await box.press('Enter');
    const newPost = page.locator('[data-testid="post"]', { has: page.locator('.msg-own', { hasText: '周五团建去哪儿？' }) });
    await newPost.waitFor();
    assert.ok(await newPost.getAttribute('data-post-id'), 'a post of the blackboard\'s list');
    assert.equal(await newPost.locator('.post-replies').count(), 0, 'it opens a post of its own');

    const official = page.locator(`[data-testid="post"][data-post-id="${DEMO_POST}"]`);
    await official.locator('[data-testid="reply-post"]').click();
    assert.match(await target.innerText(), /回复帖子/);
    assert.match(await official.getAttribute('class'), /replying/);
    await box.fill('收到，谢谢');
    await box.press('Enter');
    await official.locator('.post-replies .msg-own', { hasText: '收到，谢谢' }).waitFor();
    const written = listOf(await api(`/messages?chatid=${DEMO_BLACKBOARD}&limit=5`), 'messages').find((m) => m.content && m.content.content === '收到，谢谢');
    assert.equal(written.post_id, DEMO_POST, 'sent as a reply to that post');
    await page.screenshot({ path: screenshotPath('callbacks-blackboard') });
  });

  test('a member who is not in the chat cannot write there', async () => {
    const chat = await api('/groups', { method: 'POST', body: { name: '只有张三的群', members: ['zhangsan'] } });
    await openChat(page, chat.chatid);
    await chooseViewAs(page, 'lisi');
    const blocked = page.locator('[data-testid="composer-blocked"]');
    await blocked.waitFor();
    assert.match(await blocked.innerText(), /李四.*不是本会话的成员/);
    assert.equal(await page.locator('[data-testid="composer-text"]').isDisabled(), true);
    await chooseViewAs(page, 'zhangsan');
    await blocked.waitFor({ state: 'hidden' });
  });

  test('the bots page deletes the callback configuration', async () => {
    await openBots();
    page.once('dialog', (dialog) => dialog.accept());
    await settings().locator('[data-testid="callback-delete"]').click();
    await settings().locator('[data-testid="callback-state"]', { hasText: '未配置' }).waitFor();
    const response = await fetch(`${BASE}/api/v1/bots/${encodeURIComponent(bot.id)}/callback`);
    assert.equal(response.status, 404, 'no configuration is left');
  });

  test('nothing left 127.0.0.1, and no page error or CSP violation happened', () => {
    assert.deepEqual(outside, []);
    assert.deepEqual(pageErrors, []);
  });
});
