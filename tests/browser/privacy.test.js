// Remote pictures wait for the reader: opening a chat fetches nothing from the hosts that
// senders name (news covers, markdown_v2 images, template card icons and images), so no tracking
// pixel learns when a message was read. A click on a placeholder loads that one picture, the
// "加载图片" button a message's pictures, and the "自动加载远程图片" setting (off by default,
// remembered) all of them. A picture that cannot load shows "图片无法加载" instead of vanishing.
//
// Every request to a host other than loopback is caught by the test's route and answered by it
// (a tiny PNG, or a failure): nothing leaves the machine, and every such request is recorded.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  assertNoReload, launch, markPage, md5, newGroup, newestMessage, openChat, png, screenshotPath, send,
} from './lib.js';

const TRACKER = 'http://tracker.invalid/p.png';
const MD_PICTURE = 'https://img.invalid/markdown.png';
const CARD_ICON = 'https://img.invalid/icon.png';
const CARD_IMAGE = 'https://img.invalid/card.png';
const CARD_THUMB = 'https://img.invalid/thumb.png';
const BROKEN = 'https://img.invalid/broken.png';
const PICTURE = png(24, 16);

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

function newsMessage(chatid, picurl) {
  return {
    chatid,
    msgtype: 'news',
    news: { articles: [{ title: '中秋节礼品领取', description: '今年中秋节公司有豪礼相送', url: 'https://work.invalid/gift', picurl }] },
  };
}

function markdownV2Message(chatid) {
  return { chatid, msgtype: 'markdown_v2', markdown_v2: { content: `**本周报表**\n\n![报表](${MD_PICTURE})` } };
}

function newsNoticeCard(chatid) {
  return {
    chatid,
    msgtype: 'template_card',
    template_card: {
      card_type: 'news_notice',
      source: { icon_url: CARD_ICON, desc: '企业微信', desc_color: 0 },
      main_title: { title: '欢迎使用企业微信', desc: '您的好友正在邀请您加入企业微信' },
      card_image: { url: CARD_IMAGE, aspect_ratio: 2.25 },
      image_text_area: { type: 1, url: 'https://work.invalid/', title: '欢迎使用企业微信', desc: '图文展示区', image_url: CARD_THUMB },
      card_action: { type: 1, url: 'https://work.invalid/card' },
    },
  };
}

describe('remote pictures wait until the reader asks for them', () => {
  let browser;
  let page;
  let chatid;
  let brokenChat;
  let ownImageId;
  const requested = []; // every request to a host other than loopback, in order
  const referers = [];
  const pageErrors = [];

  /** The remote URLs requested so far, each once, sorted. */
  const requestedSet = () => Array.from(new Set(requested)).sort();

  before(async () => {
    chatid = await newGroup('远程图片测试群');
    await send(newsMessage(chatid, TRACKER));
    await send(markdownV2Message(chatid));
    await send(newsNoticeCard(chatid));

    brokenChat = await newGroup('图片加载失败的群');
    await send(newsMessage(brokenChat, BROKEN));
    const bytes = png(40, 30);
    await send({ chatid: brokenChat, msgtype: 'image', image: { base64: bytes.toString('base64'), md5: md5(bytes) } });
    ownImageId = (await newestMessage(brokenChat)).id;

    browser = await launch();
    page = browser.page;
    await browser.context.route((url) => !LOOPBACK.has(url.hostname), async (route) => {
      const request = route.request();
      requested.push(request.url());
      if (request.headers().referer) referers.push(request.headers().referer);
      if (request.url() === BROKEN) await route.abort('connectionrefused');
      else await route.fulfill({ status: 200, contentType: 'image/png', body: PICTURE });
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) pageErrors.push(message.text());
    });
  });

  after(async () => {
    if (browser) await browser.close();
  });

  const row = (msgtype) => page.locator(`#timeline .msg[data-msgtype="${msgtype}"]`);
  const waiting = () => page.locator('#timeline .hp-remote:not(.hp-remote-loaded)');

  test('opening a chat with a news card, a markdown_v2 image and a news_notice card fetches nothing from other hosts', async () => {
    await openChat(page, chatid);
    await page.locator('#timeline .msg').nth(2).waitFor();
    assert.equal(await page.locator('[data-testid="remote-images"]').isChecked(), false, 'the setting is off by default');
    assert.equal(await waiting().count(), 5, 'cover, markdown image, card icon, card image, image-text picture');
    await page.waitForTimeout(500); // time for any request the page would make by itself
    assert.deepEqual(requested, [], 'no request left loopback');
    const sources = await page.locator('#timeline img').evaluateAll((imgs) => imgs.filter((img) => img.hasAttribute('src')).map((img) => img.src));
    assert.deepEqual(sources, [], 'no picture has a src');
    assert.match(await row('news').locator('.hp-remote').innerText(), /图片未加载 · 点击加载/);
    // The placeholders keep the pictures' layout: the card image its 2.25 aspect ratio.
    const box = await row('template_card').locator('.hp-card-image').boundingBox();
    assert.ok(box && box.height > 0 && Math.abs(box.width / box.height - 2.25) < 0.05, `card image box ${JSON.stringify(box)}`);
    assert.equal(await page.locator('#timeline [data-testid="load-images"]').count(), 3, 'each message offers 加载图片');
    await markPage(page);
    await page.screenshot({ path: screenshotPath('privacy-placeholders') });
  });

  test('clicking one placeholder fetches exactly that picture and shows it, without opening the article', async () => {
    const cover = row('news').locator('.hp-remote');
    await cover.click();
    await row('news').locator('.hp-remote.hp-remote-loaded').waitFor();
    assert.deepEqual(requested, [TRACKER], 'only the clicked picture was requested');
    assert.deepEqual(referers, [], 'without a Referer');
    const width = await cover.locator('img').evaluate((img) => img.naturalWidth);
    assert.equal(width, 24, 'the picture the route served is shown');
    assert.equal(await cover.locator('img').isVisible(), true);
    assert.equal(await cover.locator('.hp-remote-note').isVisible(), false, 'the note is gone');
    assert.equal(browser.context.pages().length, 1, 'the click did not open the news article');
    assert.equal(await waiting().count(), 4, 'the other pictures still wait');
    assert.equal(await row('news').locator('[data-testid="load-images"]').count(), 0, 'nothing is left to load in that message');
    await assertNoReload(page);
  });

  test('"加载图片" loads the pictures of that message only', async () => {
    await row('markdown_v2').locator('[data-testid="load-images"]').click();
    await row('markdown_v2').locator('.hp-remote.hp-remote-loaded').waitFor();
    assert.deepEqual(requestedSet(), [MD_PICTURE, TRACKER].sort());
    assert.equal(await waiting().count(), 3, 'the card pictures still wait');
  });

  test('turning the setting on loads every remote picture, and it survives a reload', async () => {
    await page.locator('[data-testid="remote-images"]').check();
    await page.waitForFunction(() => document.querySelectorAll('#timeline .hp-remote:not(.hp-remote-loaded)').length === 0);
    assert.deepEqual(requestedSet(), [CARD_ICON, CARD_IMAGE, CARD_THUMB, MD_PICTURE, TRACKER].sort());
    assert.equal(await page.locator('#timeline [data-testid="load-images"]').count(), 0, 'no button is left');
    await page.screenshot({ path: screenshotPath('privacy-loaded') });

    await page.reload();
    await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
    assert.equal(await page.locator('[data-testid="remote-images"]').isChecked(), true, 'the setting is remembered');
    await page.locator('#timeline .msg').nth(2).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('#timeline .hp-remote.hp-remote-loaded').length === 5);
    assert.equal(await waiting().count(), 0, 'every picture loaded by itself after the reload');

    await page.locator('[data-testid="remote-images"]').uncheck(); // back to the default
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
    await page.locator('#timeline .msg').nth(2).waitFor();
    assert.equal(await page.locator('[data-testid="remote-images"]').isChecked(), false);
    assert.equal(await waiting().count(), 5, 'off again: the pictures wait again');
  });

  test('a picture that cannot load shows "图片无法加载" instead of vanishing, remote or the server\'s own', async () => {
    // The server's own picture of the image message fails too (as if its file were gone).
    await page.route((url) => url.pathname === `/api/v1/messages/${ownImageId}/image`, (route) => route.fulfill({ status: 404, body: '' }));
    await openChat(page, brokenChat);
    const image = row('image');
    await image.locator('.hp-img-failed').waitFor();
    assert.equal(await image.locator('img').count(), 0, 'the broken picture is replaced');
    assert.equal(await image.locator('.hp-img-failed').innerText(), '图片无法加载');

    const cover = row('news').locator('.hp-remote');
    await cover.click();
    await row('news').locator('.hp-remote.hp-remote-failed').waitFor();
    assert.ok(requested.includes(BROKEN), 'the broken picture was asked for');
    assert.equal(await cover.locator('.hp-remote-note').innerText(), '图片无法加载');
    for (const placeholder of [cover, image.locator('.hp-img-failed')]) {
      const box = await placeholder.boundingBox();
      assert.ok(box && box.width > 40 && box.height > 40, `the placeholder keeps a size: ${JSON.stringify(box)}`);
    }
    assert.equal(browser.context.pages().length, 1, 'no article was opened');
    await page.screenshot({ path: screenshotPath('privacy-failed') });
  });

  test('no page error and no CSP violation happened', () => {
    assert.deepEqual(pageErrors, []);
  });
});
