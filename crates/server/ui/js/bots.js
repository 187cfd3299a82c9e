// The bots page (消息推送): each bot's webhook and upload URLs with copy buttons, ready curl
// examples, the chats it is in and its subscription scope; its relay to a real WeCom bot
// (js/relay-settings.js); its callback settings and a way into its callback log and its single
// chat (js/callback-settings.js).

import { api, listOf } from './api.js';
import { callbackSection, singleChatButton } from './callback-settings.js';
import { copyButton } from './clipboard.js';
import { curlJson, curlUpload } from './curl.js';
import { $, avatar, h } from './dom.js';
import { relaySection } from './relay-settings.js';
import { chatName, findChat, state, userName } from './state.js';

const HELLO = '{"msgtype": "text", "text": {"content": "hello world"}}';

export async function loadBots() {
  const container = $('bots');
  try {
    state.bots = listOf(await api('/bots'), 'bots');
  } catch (error) {
    container.replaceChildren(h('p', { class: 'error', text: `加载失败：${error.message}` }));
    return;
  }
  if (!state.bots.length) {
    container.replaceChildren(h('p', { class: 'empty-text', text: '还没有机器人。' }));
    return;
  }
  container.replaceChildren(...state.bots.map(botCard));
}

function urlLine(label, url) {
  return h('div', { class: 'url-line' },
    h('span', { class: 'url-label', text: label }),
    h('code', { class: 'url', text: url }),
    copyButton(() => url));
}

function example(title, command, testId) {
  return h('div', { class: 'bot-section' },
    h('div', { class: 'bot-section-head' }, h('span', { text: title }), copyButton(() => command)),
    h('pre', { class: 'code', 'data-testid': testId, text: command }));
}

function chatLink(chatId) {
  const chat = findChat(chatId);
  return h('a', { class: 'chip', href: `#/chat/${encodeURIComponent(chatId)}`, text: chat ? chatName(chat) : chatId });
}

function botCard(bot) {
  return h('article', { class: 'bot-card', 'data-testid': 'bot', dataset: { botId: bot.id } },
    h('header', { class: 'bot-head' },
      avatar(bot.name || bot.id, bot.id, 'bot-avatar'),
      h('div', { class: 'bot-title' },
        h('h2', { text: bot.name || bot.id }),
        h('span', { class: 'muted', text: `ID ${bot.id}` })),
      h('div', { class: 'bot-actions' },
        singleChatButton(bot),
        h('a', { class: 'copy-button', href: `#/callbacks/${encodeURIComponent(bot.id)}`, text: '回调日志' }))),
    urlLine('Webhook 地址', bot.webhook_url),
    urlLine('文件上传地址', bot.upload_url),
    example('发送一条文本消息', curlJson(bot.webhook_url, HELLO), 'curl'),
    example('上传文件（得到 media_id）', curlUpload(bot.upload_url)),
    h('dl', { class: 'facts' },
      h('dt', { text: '所在会话' }),
      h('dd', {}, bot.chats.length ? bot.chats.map(chatLink) : '无'),
      h('dt', { text: '订阅范围' }),
      h('dd', { text: bot.subscription.length ? bot.subscription.map(userName).join('、') : '无' })),
    relaySection(bot),
    callbackSection(bot));
}
