// Every message type of WeCom's official document, sent through the webhook while the inbox is
// open on the chat, appears live (no reload) and is screenshotted.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  SCREENSHOTS, amr, assertNoReload, chooseViewAs, launch, markPage, md5, newGroup, newestMessage, openChat, png,
  screenshotPath, send, upload,
} from './lib.js';

const PIC = 'https://res.mail.qq.com/node/ww/wwopenmng/images/independent/doc/test_pic_msg1.png';

// The official examples (message-push-api.zh.txt and the template card examples), sent to the
// test's own group: only `chatid` differs, and `post_id`/`visible_to_user` are left out because
// they only apply to a blackboard or hide the message (the view-as test covers them).
function officialText(chatid) {
  return {
    chatid,
    msgtype: 'text',
    text: {
      content: '<@zhangsan>广州今日天气：29度，大部分多云，降雨概率：60%',
      mentioned_list: ['wangqing', '@all'],
      mentioned_mobile_list: ['13800001111', '@all'],
    },
  };
}

function officialMarkdown(chatid) {
  const sizes = [['button_1', 'S'], ['button_2', 'M'], ['button_3', 'L'], ['button_4', '不确定'], ['button_5', '不参加']];
  return {
    chatid,
    msgtype: 'markdown',
    markdown: {
      content: '**2019公司文化衫尺码收集**\n\n主题：2019文化衫尺码收集\n范围：所有<font color="warning">正式员工+实习生</font>\n服装：统一为蓝色logo+白色T\n\n请选择你需要的尺码\n<@zhangsan><@lisi>',
      at_short_name: true,
      attachments: [{
        callback_id: 'button_two_row',
        actions: sizes.map(([name, text]) => ({
          name, text, type: 'button', value: text, replace_text: `你已选择${text}`, border_color: '#2EAB49', text_color: '#2EAB49',
        })),
      }],
    },
  };
}

function officialMarkdownV2(chatid) {
  return {
    chatid,
    msgtype: 'markdown_v2',
    markdown_v2: {
      content: '# 一、标题\n## 二级标题\n### 三级标题\n# 二、字体\n*斜体*\n\n**加粗**\n# 三、列表 \n- 无序列表 1 \n- 无序列表 2\n  - 无序列表 2.1\n  - 无序列表 2.2\n1. 有序列表 1\n2. 有序列表 2\n# 四、引用\n> 一级引用\n>>二级引用\n>>>三级引用\n# 五、链接\n[这是一个链接](https:work.weixin.qq.com/api/doc)\n![](https://res.mail.qq.com/node/ww/wwopenmng/images/independent/doc/test_pic_msg1.png)\n# 六、分割线\n\n---\n# 七、代码\n`这是行内代码`\n```\n这是独立代码块\n```\n\n# 八、表格\n| 姓名 | 文化衫尺寸 | 收货地址 |\n| :----- | :----: | -------: |\n| 张三 | S | 广州 |\n| 李四 | L | 深圳 |\n',
    },
  };
}

function officialNews(chatid) {
  return {
    chatid,
    msgtype: 'news',
    news: {
      articles: [{
        title: '中秋节礼品领取', description: '今年中秋节公司有豪礼相送', url: 'https://work.weixin.qq.com/', picurl: PIC,
      }],
    },
  };
}

function textNoticeCard(chatid, mediaId) {
  return {
    chatid,
    msgtype: 'template_card',
    template_card: {
      card_type: 'text_notice',
      source: { icon_url: 'https://wework.qpic.cn/wwpic/252813_jOfDHtcISzuodLa_1629280209/0', desc: '企业微信', desc_color: 0 },
      main_title: { title: '欢迎使用企业微信', desc: '您的好友正在邀请您加入企业微信' },
      emphasis_content: { title: '100', desc: '数据含义' },
      quote_area: {
        type: 1, url: 'https://work.weixin.qq.com/?from=openApi', appid: 'APPID', pagepath: 'PAGEPATH',
        title: '引用文本标题', quote_text: 'Jack：企业微信真的很好用~\nBalian：超级好的一款软件！',
      },
      sub_title_text: '下载企业微信还能抢红包！',
      horizontal_content_list: [
        { keyname: '邀请人', value: '张三' },
        { keyname: '企微官网', value: '点击访问', type: 1, url: 'https://work.weixin.qq.com/?from=openApi' },
        { keyname: '企微下载', value: '企业微信.apk', type: 2, media_id: mediaId },
      ],
      jump_list: [
        { type: 1, url: 'https://work.weixin.qq.com/?from=openApi', title: '企业微信官网' },
        { type: 2, appid: 'APPID', pagepath: 'PAGEPATH', title: '跳转小程序' },
      ],
      card_action: { type: 1, url: 'https://work.weixin.qq.com/?from=openApi', appid: 'APPID', pagepath: 'PAGEPATH' },
    },
  };
}

function newsNoticeCard(chatid, mediaId) {
  return {
    chatid,
    msgtype: 'template_card',
    template_card: {
      card_type: 'news_notice',
      source: { icon_url: 'https://wework.qpic.cn/wwpic/252813_jOfDHtcISzuodLa_1629280209/0', desc: '企业微信', desc_color: 0 },
      main_title: { title: '欢迎使用企业微信', desc: '您的好友正在邀请您加入企业微信' },
      card_image: { url: 'https://wework.qpic.cn/wwpic/354393_4zpkKXd7SrGMvfg_1629280616/0', aspect_ratio: 2.25 },
      image_text_area: {
        type: 1, url: 'https://work.weixin.qq.com', title: '欢迎使用企业微信', desc: '您的好友正在邀请您加入企业微信',
        image_url: 'https://wework.qpic.cn/wwpic/354393_4zpkKXd7SrGMvfg_1629280616/0',
      },
      quote_area: { type: 1, url: 'https://work.weixin.qq.com/?from=openApi', title: '引用文本标题', quote_text: 'Jack：企业微信真的很好用~\nBalian：超级好的一款软件！' },
      vertical_content_list: [{ title: '惊喜红包等你来拿', desc: '下载企业微信还能抢红包！' }],
      horizontal_content_list: [
        { keyname: '邀请人', value: '张三' },
        { keyname: '企微官网', value: '点击访问', type: 1, url: 'https://work.weixin.qq.com/?from=openApi' },
        { keyname: '企微下载', value: '企业微信.apk', type: 2, media_id: mediaId },
      ],
      jump_list: [
        { type: 1, url: 'https://work.weixin.qq.com/?from=openApi', title: '企业微信官网' },
        { type: 2, appid: 'APPID', pagepath: 'PAGEPATH', title: '跳转小程序' },
      ],
      card_action: { type: 1, url: 'https://work.weixin.qq.com/?from=openApi', appid: 'APPID', pagepath: 'PAGEPATH' },
    },
  };
}

describe('every message type appears live in the open chat', () => {
  let browser;
  let page;
  let chatid;
  const pageErrors = [];

  before(async () => {
    chatid = await newGroup('消息类型测试群');
    // Tall enough that the tallest message (the official markdown_v2 example) fits on screen,
    // so that its screenshot is not cut by the chat header.
    browser = await launch({ viewport: { width: 1280, height: 1400 } });
    page = browser.page;
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // Whatever the CSP blocks (an inline style, a script) would be lost silently but for this.
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) pageErrors.push(message.text());
    });
    await openChat(page, chatid);
    await markPage(page);
    console.log(`screenshots: ${SCREENSHOTS}`);
  });

  after(async () => {
    if (page) await page.screenshot({ path: screenshotPath('inbox'), fullPage: false });
    if (browser) await browser.close();
  });

  /** Sends `body`, then waits for the new message to show up in the open chat without a reload. */
  async function sendAndSee(name, body, check) {
    await send(body);
    const message = await newestMessage(chatid);
    assert.equal(message.msgtype, body.msgtype);
    const row = page.locator(`.msg[data-id="${message.id}"]`);
    await row.waitFor({ state: 'visible' });
    assert.equal(await row.getAttribute('data-msgtype'), body.msgtype);
    if (check) await check(row, message);
    await assertNoReload(page);
    await row.scrollIntoViewIfNeeded();
    await page.waitForTimeout(150); // let images decode before the screenshot
    await row.screenshot({ path: screenshotPath(name) });
    return { row, message };
  }

  test('text, with mentions', async () => {
    await sendAndSee('text', officialText(chatid), async (row) => {
      const text = await row.locator('.msg-body').innerText();
      assert.match(text, /广州今日天气：29度/);
    });
  });

  test('markdown, whose attachment buttons show their replace_text when clicked as a member', async () => {
    const { row } = await sendAndSee('markdown', officialMarkdown(chatid), async (row) => {
      assert.match(await row.locator('.msg-body').innerText(), /2019公司文化衫尺码收集/);
      assert.equal(await row.locator('button[data-replace-text]').count(), 5, 'five attachment buttons');
      // border_color/text_color #2EAB49 reach the page under the CSP (no style attribute).
      const colours = await row.locator('button[data-replace-text]').first()
        .evaluate((button) => [getComputedStyle(button).borderTopColor, getComputedStyle(button).color]);
      assert.deepEqual(colours, ['rgb(46, 171, 73)', 'rgb(46, 171, 73)'], 'the button colours of the request');
    });
    // A click is a member's (the "view as" user's), through the API; the admin view says so.
    await chooseViewAs(page, 'zhangsan');
    const clicked = page.locator(`.msg[data-id="${await row.getAttribute('data-id')}"]`);
    await clicked.locator('button[data-replace-text]', { hasText: 'L' }).first().click();
    await clicked.getByText('你已选择L').waitFor({ state: 'visible' });
    assert.equal(await clicked.locator('button[data-replace-text]').count(), 0, 'the buttons are replaced');
    await clicked.screenshot({ path: screenshotPath('markdown-after-click') });
    await chooseViewAs(page, '');
    await assertNoReload(page);
  });

  test('markdown_v2', async () => {
    await sendAndSee('markdown_v2', officialMarkdownV2(chatid), async (row) => {
      const body = row.locator('.msg-body');
      assert.match(await body.innerText(), /二级标题/);
      assert.ok(await body.locator('table').count() >= 1, 'the table is rendered as a table');
    });
  });

  test('image, a real PNG with its md5', async () => {
    const bytes = png(96, 64);
    await sendAndSee('image', {
      chatid, msgtype: 'image', image: { base64: bytes.toString('base64'), md5: md5(bytes) },
    }, async (row) => {
      const img = row.locator('.msg-body img').first();
      await img.waitFor();
      await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle());
      assert.equal(await img.evaluate((el) => el.naturalWidth), 96, 'the picture is served back');
    });
  });

  test('news', async () => {
    await sendAndSee('news', officialNews(chatid), async (row) => {
      assert.match(await row.locator('.msg-body').innerText(), /中秋节礼品领取/);
    });
  });

  test('file, uploaded first', async () => {
    const mediaId = await upload('file', 'wework.txt', Buffer.from('mytext'));
    await sendAndSee('file', { chatid, msgtype: 'file', file: { media_id: mediaId } }, async (row) => {
      assert.match(await row.locator('.msg-body').innerText(), /wework\.txt/);
      const href = await row.locator('.msg-body a[href]').first().getAttribute('href');
      const download = await page.request.get(new URL(href, page.url()).toString());
      assert.equal(await download.text(), 'mytext', 'the download link serves the uploaded bytes');
    });
  });

  test('voice, a real AMR file uploaded first', async () => {
    const mediaId = await upload('voice', 'voice.amr', amr(3), 'audio/amr');
    await sendAndSee('voice', { chatid, msgtype: 'voice', voice: { media_id: mediaId } }, async (row) => {
      assert.match(await row.locator('.msg-body').innerText(), /3/, 'the duration is shown');
    });
  });

  test('miniprogram', async () => {
    // The cover must be an uploaded image (run.sh enables the internal document's image uploads).
    const mediaId = await upload('image', 'cover.png', png(130, 104), 'image/png');
    await sendAndSee('miniprogram', {
      chatid, msgtype: 'miniprogram',
      miniprogram: { title: '小程序测试消息', pic_media_id: mediaId, appid: 'wx8bd80126147dfAAA', page: '/path/index.html' },
    }, async (row) => {
      assert.match(await row.locator('.msg-body').innerText(), /小程序测试消息/);
    });
  });

  test('template_card text_notice', async () => {
    const mediaId = await upload('file', '企业微信.apk', Buffer.from('not really an apk'));
    await sendAndSee('template_card-text_notice', textNoticeCard(chatid, mediaId), async (row) => {
      const text = await row.locator('.msg-body').innerText();
      for (const part of ['欢迎使用企业微信', '100', '引用文本标题', '下载企业微信还能抢红包！', '邀请人', '企业微信官网']) {
        assert.ok(text.includes(part), `the card shows ${part}`);
      }
    });
  });

  test('template_card news_notice', async () => {
    const mediaId = await upload('file', '企业微信.apk', Buffer.from('not really an apk'));
    await sendAndSee('template_card-news_notice', newsNoticeCard(chatid, mediaId), async (row) => {
      const text = await row.locator('.msg-body').innerText();
      for (const part of ['欢迎使用企业微信', '惊喜红包等你来拿', '邀请人', '企业微信官网']) {
        assert.ok(text.includes(part), `the card shows ${part}`);
      }
    });
  });

  test('lints are shown beside the message and in its detail pane', async () => {
    // A table is markdown_v2 syntax: v1 markdown shows it literally, and the sender should know.
    const { row, message } = await sendAndSee('markdown-lints', {
      chatid, msgtype: 'markdown', markdown: { content: '| 姓名 | 尺码 |\n| --- | --- |\n| 张三 | S |\n<@nobody>' },
    });
    const codes = message.lints.map((lint) => lint.code);
    assert.ok(codes.includes('unsupported_syntax'), `the API reports the table: ${JSON.stringify(codes)}`);
    const beside = await row.locator('[data-testid="lints"] li').allInnerTexts();
    assert.equal(beside.length, message.lints.length, 'every lint is shown beside the message');
    await row.locator('.msg-inspect').click({ force: true });
    const inPane = page.locator('[data-testid="detail-lints"] li');
    await inPane.first().waitFor();
    assert.deepEqual(await inPane.locator('code').allInnerTexts(), codes, 'the pane lists the lint codes');
    await page.locator('#detail-close').click();
  });

  test('the detail pane shows the raw request, the lints and the reply', async () => {
    const row = page.locator('.msg[data-msgtype="text"]').first();
    await row.locator('.msg-inspect').click({ force: true });
    const pane = page.locator('[data-testid="detail"]');
    await pane.waitFor({ state: 'visible' });
    await page.locator('[data-testid="detail-raw"]').filter({ hasText: '广州今日天气' }).waitFor();
    const raw = JSON.parse(await page.locator('[data-testid="detail-raw"]').innerText());
    assert.equal(raw.msgtype, 'text', 'the raw request is pretty-printed JSON');
    const reply = JSON.parse(await page.locator('[data-testid="detail-reply"]').innerText());
    assert.equal(reply.errcode, 0, 'the reply the sender got');
    await page.screenshot({ path: screenshotPath('detail-pane') });
    await page.locator('#detail-close').click();
    await pane.waitFor({ state: 'hidden' });
  });

  test('in the detail pane a long unbroken string wraps under its own line, keeping the indentation', async () => {
    const token = `media_${'Ab3'.repeat(120)}`; // as long as a media id or a base64 run
    const { row } = await sendAndSee('long-token', { chatid, msgtype: 'text', text: { content: token } });
    await row.locator('.msg-inspect').click({ force: true });
    const raw = page.locator('[data-testid="detail-raw"]');
    await raw.filter({ hasText: 'media_Ab3' }).waitFor();
    assert.equal(JSON.parse(await raw.innerText()).text.content, token, 'still the request, as JSON');
    const layout = await raw.evaluate((pre) => {
      const lines = Array.from(pre.querySelectorAll('.code-line'));
      const line = lines.find((l) => l.textContent.includes('media_Ab3'));
      const key = line.querySelector('.tok-key');
      const value = line.querySelector('.tok-string');
      const keyOf = (name) => lines.find((l) => l.textContent.trim().startsWith(`"${name}"`)).querySelector('.tok-key');
      return {
        boxes: Array.from(value.getClientRects()).map((r) => r.left),
        keyLeft: key.getBoundingClientRect().left,
        textKeyLeft: keyOf('text').getBoundingClientRect().left,
        msgtypeKeyLeft: keyOf('msgtype').getBoundingClientRect().left,
        scrollWidth: pre.scrollWidth,
        clientWidth: pre.clientWidth,
      };
    });
    assert.ok(layout.boxes.length > 2, `the value wraps: ${JSON.stringify(layout)}`);
    assert.ok(layout.boxes.every((left) => left > layout.keyLeft), `every piece of it starts right of its key: ${JSON.stringify(layout)}`);
    assert.ok(layout.keyLeft > layout.textKeyLeft, 'the nested key stays indented under its parent');
    assert.equal(layout.textKeyLeft, layout.msgtypeKeyLeft, 'keys of one level start in one column');
    assert.ok(layout.scrollWidth <= layout.clientWidth, 'nothing runs off to the right');
    await page.screenshot({ path: screenshotPath('detail-long-token') });
    await page.locator('#detail-close').click();
  });

  test('no page error and no CSP violation happened', () => {
    assert.deepEqual(pageErrors, []);
  });
});
