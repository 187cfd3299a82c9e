// The message detail pane: what the server knows of one message (ids, sender, chat, visibility,
// mentions, where the relay is with it), its lints, the reply the sender got and the raw
// request JSON, with copy buttons and a "copy as curl" that replays a bot's request against
// its webhook. The JSON wraps line by line under its own indentation, so that a long media id
// or base64 does not break the layout. A member's message (written in the composer) lists the
// callbacks it caused, with links to the callback log.

import { api } from './api.js';
import { copyButton } from './clipboard.js';
import { curlJson } from './curl.js';
import { $, h } from './dom.js';
import { prettyLines } from './pretty.js';
import { noteRelay, relaySummary } from './relay.js';
import { KIND_LABEL, STATUS_LABEL, TYPE_LABEL, authorOf, botName, botOf, chatName, findChat, state, userName } from './state.js';
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

/** Pretty JSON, line by line: a long id or base64 wraps under its own line (js/pretty.js). */
function codeBlock(testId, text) {
  const pre = text ? h('pre', { class: 'code', 'data-testid': testId }, ...prettyLines(text))
    : h('pre', { class: 'code', 'data-testid': testId, text: '（无）' });
  return h('div', { class: 'code-wrap' }, pre, copyButton(() => text));
}

/** The facts of `GET /messages/{id}`, as label/value pairs; empty values are left out. */
function facts(item) {
  const created = parseTime(item.created_at);
  const chat = findChat(item.chatid);
  const bot = botOf(item);
  const author = authorOf(item);
  return [
    ['消息 ID', item.id],
    ['请求 ID', item.request_id],
    ['类型', item.msgtype ? `${item.msgtype}（${TYPE_LABEL[item.msgtype] || ''}）` : ''],
    ['机器人', bot.id ? `${bot.name || ''} (${bot.id})` : ''],
    ['发送者', author.kind === 'user' ? `${author.name || userName(author.userid)} (${author.userid})，在收件箱中发送` : ''],
    ['会话', item.chatid ? `${chat ? `${chatName(chat)} · ` : ''}${item.chatid}` : ''],
    ['会话类型', KIND_LABEL[item.chat_type] || item.chat_type],
    ['来源 IP', item.from_ip],
    ['帖子', item.post_id],
    ['时间', created ? fullTime(created) : item.created_at],
    ['仅谁可见', (item.visible_to || []).map((u) => `${userName(u)} (${u})`).join('、') || '所有成员'],
    ['提醒（@）', (item.mentions || []).join('、')],
    ['转发到企业微信', relaySummary(item.relay && noteRelay(item.relay))],
  ].filter(([, value]) => value !== undefined && value !== null && value !== '');
}

/** The callbacks a member's message caused: the chat's recent callbacks that name it. */
async function causedCallbacks(item) {
  try {
    const data = await api(`/callbacks?chatid=${encodeURIComponent(item.chatid)}&limit=200`);
    return ((data && data.callbacks) || []).filter((c) => c.message_id === item.id).reverse();
  } catch {
    return [];
  }
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
  const person = authorOf(item).kind === 'user';
  if (person) {
    body.replaceChildren(
      h('dl', { class: 'facts' }, facts(item).flatMap(([key, value]) => [h('dt', { text: key }), h('dd', { text: String(value) })])),
      section('引发的回调', h('p', { class: 'muted', text: '加载中…' })),
      section('请求 JSON（不含图片数据）', codeBlock('detail-raw', raw)));
    const caused = await causedCallbacks(item);
    if (state.detailId !== id) return;
    body.querySelector('.detail-section').replaceWith(section(`引发的回调（${caused.length}）`, caused.length
      ? h('ul', { class: 'detail-callbacks', 'data-testid': 'detail-callbacks' }, caused.map((c) => h('li', {},
        h('a', { href: `#/callbacks/${encodeURIComponent(c.bot_id)}/${c.id}`, text: `#${c.id} ${botName(c.bot_id)} · ${c.event}` }),
        h('span', { class: `status-badge status-${c.status}`, text: STATUS_LABEL[c.status] || c.status }))))
      : h('p', { class: 'muted', text: '没有（群聊中只有 @机器人 的文字消息会回调，机器人需先配置回调地址）' })));
    return;
  }
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
