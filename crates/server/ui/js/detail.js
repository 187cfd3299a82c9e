// The message detail pane: what the server knows of one message (ids, bot, chat, visibility,
// mentions), its lints, the reply the sender got and the raw request JSON, with copy buttons
// and a "copy as curl" that replays the request against the message's bot.

import { api } from './api.js';
import { copyButton } from './clipboard.js';
import { curlJson } from './curl.js';
import { $, h } from './dom.js';
import { KIND_LABEL, TYPE_LABEL, botOf, chatName, findChat, state, userName } from './state.js';
import { fullTime, parseTime } from './time.js';

export function closeDetail() {
  state.detailId = null;
  $('detail').hidden = true;
  document.body.classList.remove('with-detail');
  for (const row of document.querySelectorAll('.msg.selected')) row.classList.remove('selected');
}

/** JSON text indented; text that is not JSON as it is. */
function prettyJson(text) {
  if (!text) return '';
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
}

function section(title, ...content) {
  return h('section', { class: 'detail-section' }, h('h3', { text: title }), ...content);
}

function codeBlock(testId, text) {
  return h('div', { class: 'code-wrap' }, h('pre', { class: 'code', 'data-testid': testId, text: text || '（无）' }), copyButton(() => text));
}

/** The facts of `GET /messages/{id}`, as label/value pairs; empty values are left out. */
function facts(item) {
  const created = parseTime(item.created_at);
  const chat = findChat(item.chatid);
  const bot = botOf(item);
  return [
    ['消息 ID', item.id],
    ['请求 ID', item.request_id],
    ['类型', item.msgtype ? `${item.msgtype}（${TYPE_LABEL[item.msgtype] || ''}）` : ''],
    ['机器人', bot.id ? `${bot.name || ''} (${bot.id})` : ''],
    ['会话', item.chatid ? `${chat ? `${chatName(chat)} · ` : ''}${item.chatid}` : ''],
    ['会话类型', KIND_LABEL[item.chat_type] || item.chat_type],
    ['来源 IP', item.from_ip],
    ['帖子', item.post_id],
    ['时间', created ? fullTime(created) : item.created_at],
    ['仅谁可见', (item.visible_to || []).map((u) => `${userName(u)} (${u})`).join('、') || '所有成员'],
    ['提醒（@）', (item.mentions || []).join('、')],
  ].filter(([, value]) => value !== undefined && value !== null && value !== '');
}

/** Opens the pane on message `id` (a string, from the row's data-id). */
export async function openDetail(id) {
  state.detailId = id;
  for (const row of document.querySelectorAll('.msg')) row.classList.toggle('selected', row.dataset.id === String(id));
  $('detail').hidden = false;
  document.body.classList.add('with-detail');
  const body = $('detail-body');
  body.replaceChildren(h('p', { class: 'muted', text: '加载中…' }));
  let item;
  try {
    item = await api(`/messages/${encodeURIComponent(id)}`);
  } catch (error) {
    if (state.detailId === id) body.replaceChildren(h('p', { class: 'error', text: `加载失败：${error.message}` }));
    return;
  }
  if (state.detailId !== id) return; // another message was opened meanwhile
  const raw = prettyJson(item.raw_request);
  const reply = prettyJson(item.reply);
  const lints = item.lints || [];
  const bot = state.bots.find((b) => b.id === botOf(item).id);
  body.replaceChildren(
    h('dl', { class: 'facts' }, facts(item).flatMap(([key, value]) => [h('dt', { text: key }), h('dd', { text: String(value) })])),
    section(`检查结果（${lints.length}）`, lints.length
      ? h('ul', { class: 'detail-lints', 'data-testid': 'detail-lints' }, lints.map((l) => h('li', {},
        h('code', { text: l.code || '' }), h('span', { text: l.message || '' }))))
      : h('p', { class: 'ok', text: '没有发现问题' })),
    section('发送方收到的回复', codeBlock('detail-reply', reply)),
    section('原始请求 JSON',
      codeBlock('detail-raw', raw),
      bot && raw ? h('div', { class: 'detail-actions' }, copyButton(() => curlJson(bot.webhook_url, raw), '复制为 curl 命令')) : null),
  );
}
