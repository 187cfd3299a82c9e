// The XSS corpus: script tags, event handlers, javascript:/data: URLs, broken HTML, CSS
// injection through the font colour, tricks inside card fields, button attachments and file
// names, and hostile bot, chat and user names. Sent through the real webhook and API, shown in
// the real inbox, it must run no script and open no dialog: once under the page's CSP, and once
// with the CSP bypassed, so that the rendering itself is proven inert, not only the policy.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  BASE, api, chooseViewAs, demoBot, launch, listOf, newGroup, openChat, png, screenshotPath, sendRaw, upload,
} from './lib.js';

// Every payload, if it ever ran, would do all of: set window.pwned, log PWNED, open a dialog.
const JS = "window.pwned=1;console.log('PWNED');alert('PWNED')";
const B64_SCRIPT = Buffer.from(`<script>${JS}</script>`).toString('base64');
const SVG_DATA = `data:image/svg+xml;base64,${Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" onload="${JS}"><script>${JS}</script></svg>`).toString('base64')}`;

const HTML_TRICKS = [
  `<script>${JS}</script>`,
  `<img src=x onerror="${JS}">`,
  `<svg onload="${JS}"></svg>`,
  `<iframe src="javascript:${JS}"></iframe>`,
  `<a href="javascript:${JS}">link</a>`,
  `<img src=x onerror=${JS}//`, // unterminated tag
  `<<script>${JS}//<</script>`,
  `</div></div></template><script>${JS}</script>`,
  `"><img src=x onerror="${JS}">`,
  `'><svg/onload='${JS}'>`,
  `<!--<img src="--><img src=x onerror="${JS}"//">`,
  `<style>*{display:none}</style><link rel=stylesheet href="javascript:${JS}">`,
  `<math><mtext><table><mglyph><style><img src=x onerror="${JS}">`,
  `<object data="data:text/html;base64,${B64_SCRIPT}"></object><embed src="javascript:${JS}">`,
  `<form action="javascript:${JS}"><button>go</button></form>`,
  `<base href="javascript:${JS}//"><meta http-equiv="refresh" content="0;url=javascript:${JS}">`,
  `<details open ontoggle="${JS}">`,
];

const MARKDOWN_TRICKS = [
  `[点我](javascript:${JS})`,
  `[点我](JaVaScRiPt:${JS})`,
  `[点我]( javascript:${JS})`,
  `[点我](java\tscript:${JS})`,
  `[点我](data:text/html;base64,${B64_SCRIPT})`,
  `[点我](vbscript:msgbox(1))`,
  `[点我](https://example.com/"onmouseover="${JS})`,
  `<font color="red" onmouseover="${JS}">红</font>`,
  `<font color="info" style="position:fixed;inset:0;background:url(javascript:${JS})">绿</font>`,
  `<font color="warning;background-image:url(javascript:${JS})">橙</font>`,
  `<font color="expression(${JS})">表达式</font>`,
  `<font color="info\\" onmouseover=\\"${JS}">转义</font>`,
  `<font color=comment onclick=${JS}>灰</font>`,
  '`</code><script>alert("PWNED")</script>`',
  `<@"><img src=x onerror="${JS}">>`,
  `<@zhangsan onmouseover=${JS}>`,
];

const V2_TRICKS = [
  ...HTML_TRICKS,
  `![图](javascript:${JS})`,
  `![图](${SVG_DATA})`,
  `[链接](javascript:${JS})`,
  '```\n</code></pre><script>alert("PWNED")</script>\n```',
  `| a | b |\n| --- | --- |\n| <img src=x onerror="${JS}"> | [x](javascript:${JS}) |`,
  `> <svg onload="${JS}">\n>> <script>${JS}</script>`,
  `- <img src=x onerror="${JS}">\n  - [x](javascript:${JS})`,
];

function corpus(chatid, media) {
  const joined = HTML_TRICKS.join('\n');
  return [
    { chatid, msgtype: 'text', text: { content: `文本 ${joined}`, mentioned_list: [`"><img src=x onerror="${JS}">`] } },
    { chatid, msgtype: 'markdown', markdown: { content: `# markdown\n${joined}\n${MARKDOWN_TRICKS.join('\n')}` } },
    {
      chatid,
      msgtype: 'markdown',
      markdown: {
        content: `按钮 <img src=x onerror="${JS}">`,
        attachments: [{
          callback_id: `"><script>${JS}</script>`,
          actions: [{
            name: 'evil', type: 'button', text: `<img src=x onerror="${JS}">按钮`, value: 'v',
            // WeCom: replace_text ≤ 128 bytes, so one payload only.
            replace_text: `<script>${JS}</script>`,
            border_color: `red;background:url(javascript:${JS})`, text_color: `"><script>${JS}</script>`,
          }],
        }],
      },
    },
    { chatid, msgtype: 'markdown_v2', markdown_v2: { content: `# v2\n${V2_TRICKS.join('\n\n')}` } },
    {
      chatid,
      msgtype: 'news',
      news: {
        articles: [
          { title: `<img src=x onerror="${JS}">标题`, description: `<script>${JS}</script>`, url: `javascript:${JS}`, picurl: `javascript:${JS}` },
          { title: '第二条', description: 'data', url: `data:text/html;base64,${B64_SCRIPT}`, picurl: SVG_DATA },
          { title: `"><svg onload="${JS}">`, url: 'https://example.com/" onmouseover="alert(1)', picurl: 'https://example.com/x.png" onerror="alert(1)' },
        ],
      },
    },
    { chatid, msgtype: 'file', file: { media_id: media.file1 } },
    { chatid, msgtype: 'file', file: { media_id: media.file2 } },
    {
      chatid,
      msgtype: 'miniprogram',
      // WeCom: title ≤ 64 bytes, hence the short payload.
      miniprogram: { title: "<svg onload=alert('PWNED')>", pic_media_id: media.cover, appid: `"><img src=x onerror="${JS}">`, page: `javascript:${JS}` },
    },
    {
      chatid,
      msgtype: 'template_card',
      template_card: {
        card_type: 'text_notice',
        source: { icon_url: `javascript:${JS}`, desc: `<img src=x onerror="${JS}">`, desc_color: 2 },
        main_title: { title: `<script>${JS}</script>`, desc: `<svg onload="${JS}">` },
        emphasis_content: { title: `<b onmouseover="${JS}">9</b>`, desc: `"><img src=x onerror="${JS}">` },
        quote_area: { type: 1, url: `javascript:${JS}`, title: `<iframe src="javascript:${JS}">`, quote_text: `</div><script>${JS}</script>` },
        sub_title_text: `<img src=x onerror="${JS}">`,
        horizontal_content_list: [
          { keyname: `<script>${JS}</script>`, value: `<img src=x onerror="${JS}">` },
          { keyname: '链接', value: '点', type: 1, url: `javascript:${JS}` },
          { keyname: '文件', value: `"><svg onload="${JS}">.apk`, type: 2, media_id: media.file1 },
          { keyname: '成员', value: 'x', type: 3, userid: `"><img src=x onerror="${JS}">` },
        ],
        jump_list: [
          { type: 1, url: `javascript:${JS}`, title: `<img src=x onerror="${JS}">` },
          { type: 1, url: `data:text/html;base64,${B64_SCRIPT}`, title: 'data' },
        ],
        card_action: { type: 1, url: `javascript:${JS}` },
      },
    },
    {
      chatid,
      msgtype: 'template_card',
      template_card: {
        card_type: 'news_notice',
        source: { icon_url: SVG_DATA, desc: 'src' },
        main_title: { title: `<img src=x onerror="${JS}">`, desc: 'd' },
        card_image: { url: `javascript:${JS}`, aspect_ratio: 2 },
        image_text_area: { type: 1, url: `javascript:${JS}`, title: `<script>${JS}</script>`, desc: '"><svg onload=alert(1)>', image_url: SVG_DATA },
        vertical_content_list: [{ title: `<img src=x onerror="${JS}">`, desc: `<script>${JS}</script>` }],
        jump_list: [{ type: 1, url: `javascript:${JS}`, title: 'j' }],
        card_action: { type: 1, url: `data:text/html;base64,${B64_SCRIPT}` },
      },
    },
  ];
}

/** A callback log entry with a payload in every field a bot or a sender could influence. */
function hostileCallback() {
  const tag = `<img src=x onerror="${JS}">`;
  return {
    id: 1,
    bot_id: `"><script>${JS}</script>`,
    chatid: tag,
    msgid: `<svg onload="${JS}">`,
    event: `<script>${JS}</script>`,
    format: tag,
    status: `"><img src=x onerror="${JS}">`,
    attempts: [{ at: tag, http_status: 200, latency_ms: 3, error: `<script>${JS}</script>` }],
    created_at: tag,
    next_attempt_at: tag,
    message_id: tag,
    request: {
      url: `javascript:${JS}`,
      body: `<xml><Encrypt><![CDATA[${tag}]]></Encrypt><x onload="${JS}"/></xml>`,
      plaintext: `<xml><Text><Content><![CDATA[<script>${JS}</script>]]></Content></Text><a href="javascript:${JS}">x</a>${HTML_TRICKS[0]}</xml>`,
    },
    response: { status: 200, body: `{"a": "<script>${JS}</script>", "${tag}": 1}`, plaintext: `{"msgtype": "text", "text": {"content": "${tag.replace(/"/g, '\\"')}"}}` },
    reply: { error: `<script>${JS}</script>` },
  };
}

/** Everything that must hold, whatever was sent: in the live page (`htmls` null), or in the
 *  `html` fields the API returns, parsed inertly (DOMParser runs and loads nothing), which
 *  checks the render crate alone, without the inbox's own defences. */
function inspect(htmls) {
  const problems = [];
  const roots = [];
  if (htmls) {
    for (const html of htmls) roots.push(new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html').body);
  } else {
    const scripts = Array.from(document.scripts).map((s) => s.getAttribute('src'));
    if (scripts.length !== 1 || !/\/assets\/app\.js$/.test(scripts[0] || '')) problems.push(`unexpected scripts: ${JSON.stringify(scripts)}`);
    roots.push(document.documentElement);
  }
  const okUrl = (raw) => {
    try {
      const url = new URL(raw, location.href);
      return url.protocol === 'https:' || url.protocol === 'http:';
    } catch { return false; }
  };
  for (const root of roots) {
    for (const element of root.querySelectorAll('*')) {
      for (const attribute of element.attributes) {
        if (/^on/i.test(attribute.name)) problems.push(`event handler ${attribute.name} on <${element.localName}>`);
      }
    }
    const messages = htmls ? root : root.querySelector('#timeline');
    for (const element of messages.querySelectorAll('iframe, object, embed, frame, form, base, meta, link, style, script, foreignObject, animate, set')) {
      problems.push(`forbidden element <${element.localName}> in a message`);
    }
    for (const element of messages.querySelectorAll('[href], [src], [srcset], [action], [formaction], [poster], [data], [background]')) {
      for (const name of ['href', 'src', 'action', 'formaction', 'poster', 'data', 'background', 'xlink:href']) {
        const value = element.getAttribute(name);
        if (value !== null && !okUrl(value)) problems.push(`<${element.localName} ${name}="${value.slice(0, 60)}">`);
      }
      if (element.hasAttribute('srcset')) problems.push(`srcset on <${element.localName}>`);
    }
    // The render crate emits no style attribute at all (colours are class names, and the CSP
    // would drop one); in the page, styles set by the inbox itself must stay plain.
    for (const element of messages.querySelectorAll('[style]')) {
      const style = element.getAttribute('style');
      if (htmls || /url\s*\(|expression|javascript|position|behavior|@import|\\/i.test(style)) problems.push(`style="${style.slice(0, 80)}"`);
    }
    // A colour that leaks past the three WeCom names must not reach the page either.
    for (const element of messages.querySelectorAll('font, [color]')) problems.push(`raw <${element.localName}> colour`);
  }
  return problems;
}

for (const bypassCSP of [false, true]) {
  describe(`the XSS corpus is inert (${bypassCSP ? 'CSP bypassed: rendering alone' : 'under the CSP'})`, () => {
    let browser;
    let page;
    let chatid;
    let restoreBotName;
    const dialogs = [];
    const ran = [];
    const accepted = [];
    const refused = [];
    const written = []; // people's messages (the composer's API), hostile too

    before(async () => {
      // Hostile names, shown by the UI outside the message HTML (textContent only).
      chatid = await newGroup(`<img src=x onerror="${JS}">群 ${bypassCSP ? 'B' : 'A'}`);
      const bot = await demoBot();
      restoreBotName = async () => api(`/bots/${encodeURIComponent(bot.id)}`, { method: 'PATCH', body: { name: bot.name } });
      await api(`/bots/${encodeURIComponent(bot.id)}`, { method: 'PATCH', body: { name: `<svg onload="${JS}">机器人` } });
      const userid = bypassCSP ? 'xssuserb' : 'xssusera';
      const users = listOf(await api('/users'), 'users');
      if (!users.some((u) => u.userid === userid)) {
        await api('/users', { method: 'POST', body: { userid, name: `<img src=x onerror="${JS}">用户`, mobile: '13800009999' } });
      }

      const media = {
        file1: await upload('file', `<img src=x onerror="${JS}">.txt`, Buffer.from('evil name')),
        file2: await upload('file', `"><svg onload=alert('PWNED')>'.pdf`, Buffer.from('evil name 2')),
        cover: await upload('image', `<script>${JS}</script>.png`, png(), 'image/png'),
      };

      browser = await launch({ bypassCSP });
      page = browser.page;
      page.on('dialog', async (dialog) => { dialogs.push(dialog.message()); await dialog.dismiss(); });
      page.on('console', (message) => { if (message.text().includes('PWNED') && message.type() === 'log') ran.push(message.text()); });
      page.on('pageerror', (error) => { if (String(error.message).includes('PWNED')) ran.push(error.message); });
      const response = await openChat(page, chatid);
      const csp = response.headers()['content-security-policy'] || '';
      assert.match(csp, /script-src 'self'/, 'the inbox is served with a strict CSP');
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);

      // Sent while the inbox is open, so the live path renders them too.
      for (const body of corpus(chatid, media)) {
        const reply = await sendRaw(body);
        (reply.errcode === 0 ? accepted : refused).push(`${body.msgtype}: ${reply.errcode} ${reply.errmsg || ''}`);
      }
      // A person's message, as the composer writes it, mentioning the hostile bot name.
      const person = await api(`/chats/${encodeURIComponent(chatid)}/messages`, {
        method: 'POST',
        body: { from: 'zhangsan', msgtype: 'text', text: { content: `@<svg onload="${JS}">机器人 ${HTML_TRICKS.join(' ')}` } },
      });
      written.push(person.message.id);
      // A refused call whose body is hostile: shown on the rejections page.
      await sendRaw(`{"msgtype":"<script>${JS}</script>","text":{"content":"<img src=x onerror=alert(1)>"}}`);
      await sendRaw('<img src=x onerror="alert(\'PWNED\')">', { contentType: 'text/html' });
    });

    after(async () => {
      if (restoreBotName) await restoreBotName().catch(() => {});
      if (browser) await browser.close();
    });

    const assertNothingRan = async () => {
      assert.deepEqual(dialogs, [], 'no dialog opened');
      assert.deepEqual(ran, [], 'no payload logged anything');
      assert.equal(await page.evaluate(() => window.pwned), undefined, 'the sentinel window.pwned is untouched');
    };

    test('the whole corpus is accepted by the webhook, as WeCom would', () => {
      // Each payload is within WeCom's limits: a refusal would mean a trick never reached the inbox.
      assert.deepEqual(refused, [], `accepted: ${accepted.join('; ')}`);
      assert.equal(accepted.length, corpus(chatid, {}).length);
    });

    test('the html of every stored message is inert by itself (render crate, no inbox defences)', async () => {
      const items = listOf(await api(`/messages?chatid=${encodeURIComponent(chatid)}&limit=100`), 'messages');
      assert.equal(items.length, accepted.length + written.length);
      assert.deepEqual(await page.evaluate(inspect, items.map((m) => m.html)), []);
    });

    test('the live chat shows the corpus and nothing runs', async () => {
      await page.waitForFunction((n) => document.querySelectorAll('.msg').length >= n, accepted.length);
      await page.waitForTimeout(300);
      assert.deepEqual(await page.evaluate(inspect, null), []);
      await assertNothingRan();
      await page.screenshot({ path: screenshotPath(`xss-${bypassCSP ? 'no-csp' : 'csp'}`), fullPage: false });
    });

    test('after a reload, hovering and clicking every message runs nothing either', async () => {
      await openChat(page, chatid);
      await page.waitForFunction((n) => document.querySelectorAll('.msg').length >= n, accepted.length);
      const count = await page.locator('.msg-body').count();
      for (let i = 0; i < count; i += 1) {
        const body = page.locator('.msg-body').nth(i);
        await body.scrollIntoViewIfNeeded();
        await body.hover();
        for (const element of await body.locator('font, b, span, strong, em, img, td').all()) {
          await element.hover({ force: true, timeout: 1000 }).catch(() => {});
        }
      }
      // Buttons are clicked by a member (the "view as" user), through the API.
      await chooseViewAs(page, 'zhangsan');
      await page.waitForFunction((n) => document.querySelectorAll('.msg').length >= n, accepted.length);
      for (const button of await page.locator('button[data-replace-text]').all()) {
        await button.click();
      }
      await page.locator('[data-testid="replace-text"]').first().waitFor();
      const replaced = await page.locator('[data-testid="replace-text"]').allInnerTexts();
      assert.ok(replaced.some((t) => t.includes('<script>')), 'replace_text is shown as text');
      assert.deepEqual(await page.evaluate(inspect, null), []);
      await assertNothingRan();
    });

    test('the detail pane, the bots page and the rejections log stay inert', async () => {
      const ids = await page.locator('.msg').evaluateAll((rows) => rows.map((r) => r.dataset.id));
      for (const id of ids) {
        await page.locator(`.msg[data-id="${id}"] .msg-inspect`).click({ force: true });
        await page.locator('[data-testid="detail-raw"]').waitFor();
      }
      await page.goto(`${BASE}/#/bots`);
      await page.locator('[data-testid="bot"]').first().waitFor();
      await page.goto(`${BASE}/#/callbacks`);
      await page.waitForSelector('body[data-view="callbacks"]');
      await page.goto(`${BASE}/#/rejections`);
      await page.locator('[data-testid="rejection"]').first().waitFor();
      const excerpts = (await page.locator('[data-testid="rejections"]').innerText());
      assert.match(excerpts, /<script>|&lt;script|script/, 'the hostile body excerpt is shown as text');
      assert.deepEqual(await page.evaluate(inspect, null), []);
      await assertNothingRan();
    });
  });
}

// Defence in depth: should the server ever send unsafe message HTML (a render bug), the inbox's
// own scrub must still keep it inert. The message list is rewritten on its way to the page, and
// the CSP is bypassed, so only the inbox's code stands between the payload and the page.
describe('the inbox scrubs message html by itself (a server bug must not become XSS)', () => {
  let browser;
  let page;
  let chatid;
  const dialogs = [];
  const ran = [];
  // The harmless part comes first: broken markup later on may swallow what follows it.
  const HOSTILE = `<b class="kept">保留的粗体</b><a href="javascript:${JS}">js</a>`
    + `<img src="data:image/svg+xml,x" onerror="${JS}"><span style="background:url(javascript:${JS})">css</span>`
    + HTML_TRICKS.join('');

  before(async () => {
    chatid = await newGroup('渲染缺陷演练群');
    await sendRaw({ chatid, msgtype: 'text', text: { content: '服务器本应转义的消息' } });
    browser = await launch({ bypassCSP: true });
    page = browser.page;
    page.on('dialog', async (dialog) => { dialogs.push(dialog.message()); await dialog.dismiss(); });
    page.on('console', (message) => { if (message.text().includes('PWNED') && message.type() === 'log') ran.push(message.text()); });
    // A callback log whose every field is hostile (as if the server passed a bot's answer on
    // unchecked): the log and its pretty-printer must keep it text.
    await page.route((url) => url.pathname === '/api/v1/callbacks', (route) => route.fulfill({ json: { callbacks: [hostileCallback()] } }));
    await page.route((url) => url.pathname === '/api/v1/messages', async (route) => {
      const response = await route.fetch();
      const body = await response.json();
      for (const item of body.messages) item.html = HOSTILE;
      await route.fulfill({ response, json: body });
    });
  });

  after(async () => {
    if (browser) await browser.close();
  });

  test('a hostile callback log entry runs nothing: request, reply, attempts and envelopes stay text', async () => {
    await page.goto(`${BASE}/#/callbacks`);
    await page.waitForSelector('body[data-view="callbacks"]');
    await page.locator('[data-testid="callback"]').first().click();
    await page.locator('[data-testid="callback-request-plaintext"]').waitFor();
    await page.locator('[data-testid="callback-raw"] summary').click();
    for (const element of await page.locator('#callback-detail *').all()) {
      await element.hover({ force: true, timeout: 1000 }).catch(() => {});
    }
    await page.waitForTimeout(300);
    assert.match(await page.locator('[data-testid="callback-request-plaintext"]').innerText(), /<script>/, 'the payload is shown as text');
    assert.match(await page.locator('[data-testid="callback-reply-plaintext"]').innerText(), /onerror/);
    assert.equal(await page.locator('#callback-detail script, #callback-detail img, #callback-detail svg, #callback-detail iframe').count(), 0);
    assert.deepEqual(await page.evaluate(inspect, null), []);
    assert.deepEqual(dialogs, [], 'no dialog opened');
    assert.deepEqual(ran, [], 'no payload logged anything');
    assert.equal(await page.evaluate(() => window.pwned), undefined, 'the sentinel window.pwned is untouched');
  });

  test('hostile html in a message item runs nothing and keeps its harmless parts', async () => {
    await openChat(page, chatid);
    await page.locator('.msg .kept').waitFor();
    assert.equal(await page.locator('.msg .kept').innerText(), '保留的粗体', 'harmless markup survives the scrub');
    await page.locator('.msg-body').hover();
    for (const element of await page.locator('.msg-body *').all()) {
      await element.hover({ force: true, timeout: 1000 }).catch(() => {});
    }
    await page.waitForTimeout(300);
    assert.deepEqual(await page.evaluate(inspect, null), []);
    assert.equal(await page.locator('.msg-body [style]').count(), 0, 'no style attribute survives');
    assert.deepEqual(dialogs, [], 'no dialog opened');
    assert.deepEqual(ran, [], 'no payload logged anything');
    assert.equal(await page.evaluate(() => window.pwned), undefined, 'the sentinel window.pwned is untouched');
  });
});
