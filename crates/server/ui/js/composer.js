// The composer under the timeline: the "view as" user writes in the open chat as a member
// would in WeCom (`POST /chats/{chatid}/messages`), which calls the chat's bots back. A text box
// (Enter sends, Shift+Enter starts a new line), the mention picker (`@` lists the chat's bots),
// pictures (the picture button, or pasted) sent as an image or, with text, as a mixed message.
// On a blackboard it opens a new post, or replies to the post chosen with its "回复" button.
//
// The sent message shows once: the answer and the event stream both bring it, and
// `showMessage` keeps the first. A note under the box then says which callbacks the message
// caused (with their status, kept current by the `callback` events, and a link to each log
// entry), or why it caused none. Without a viewer, or when the viewer is not a member of the
// chat, the composer is disabled and says why.

import { api } from './api.js';
import { rememberPreview, renderChatList } from './chat-list.js';
import { $, h, toast } from './dom.js';
import { bindMentionPicker, closeMentions, mentionKey, startMention } from './mention.js';
import { STATUS_LABEL, botName, cannotAct, chatBots, state, userName } from './state.js';
import { showMessage } from './timeline.js';

/** WeCom takes JPG and PNG pictures of at most 2 MB from people, as from bots. */
const PICTURE_MAX_BYTES = 2 * 1024 * 1024;
const PICTURE_TYPES = new Set(['image/png', 'image/jpeg']);
/** Most pictures in one message (the server's limit of a mixed message's parts, less the text). */
const MAX_PICTURES = 19;
/** The side of a picture's preview in the tray, in CSS pixels. */
const THUMB_PX = 56;

let pictures = []; // [{name, base64, thumb}] waiting to be sent
let sending = false;
let shownChatId = null; // the chat the box's text belongs to
const drafts = new Map(); // chatid -> unsent text, as WeCom keeps one per chat
const notes = new Map(); // chatid -> {title, callbacks: [{id, bot_id, status}], chatKind}
// The newest status of recent callbacks, from the events: a callback may be delivered before
// the answer that names it arrives.
const seen = new Map(); // callback id -> status
const SEEN_KEPT = 200;

// ---------------------------------------------------------------- drawing

/** Draws the composer for the open chat and the current viewer. */
export function renderComposer() {
  const chat = state.chat;
  const composer = $('composer');
  const text = $('composer-text');
  if (shownChatId !== state.chatId) {
    if (shownChatId) drafts.set(shownChatId, text.value);
    text.value = drafts.get(state.chatId) || '';
    shownChatId = state.chatId;
    pictures = [];
    closeMentions();
  }
  composer.hidden = !state.chatId;
  const reason = cannotAct(chat);
  const blocked = $('composer-blocked');
  // A chat not yet loaded is not yet a reason to complain.
  blocked.hidden = !reason || (reason === 'no-chat' && state.loading);
  blocked.textContent = blockedText(reason);
  composer.classList.toggle('disabled', Boolean(reason));
  for (const control of [text, $('composer-mention'), $('composer-picture'), $('composer-file')]) control.disabled = Boolean(reason);
  text.placeholder = reason ? '' : placeholder(chat);
  renderContext();
  renderTray();
  renderNote();
  updateSend();
}

function blockedText(reason) {
  if (reason === 'no-viewer') return '在左上角「视角」中选择一位成员，即可以 TA 的身份在这里发言、@机器人、点击按钮';
  if (reason === 'not-member') return `「${userName(state.asUser)}」不是本会话的成员，不能在这里发言`;
  if (reason === 'no-chat') return '没有这个会话';
  return '';
}

function placeholder(chat) {
  const who = userName(state.asUser);
  if (chat.kind === 'single') return `以「${who}」的身份给机器人发消息`;
  if (chat.kind === 'blackboard') {
    const post = replyPost();
    return post ? `以「${who}」的身份回复「${post.title || post.post_id}」，输入 @ 提醒机器人` : `以「${who}」的身份发表新帖子，输入 @ 提醒机器人`;
  }
  return `以「${who}」的身份发言，输入 @ 提醒机器人`;
}

function replyPost() {
  if (!state.replyTo) return null;
  return state.posts.find((p) => p.post_id === state.replyTo) || { post_id: state.replyTo };
}

/** On a blackboard: whether the message opens a new post or replies to the chosen one. */
function renderContext() {
  const context = $('composer-context');
  const blackboard = state.chat && state.chat.kind === 'blackboard';
  context.hidden = !blackboard;
  if (!blackboard) { context.replaceChildren(); return; }
  const post = replyPost();
  context.replaceChildren(post
    ? h('span', { class: 'composer-target', 'data-testid': 'composer-target' },
      h('span', { class: 'post-tag', text: '回复帖子' }),
      h('span', { class: 'composer-target-title', text: post.title || post.post_id }),
      h('button', { type: 'button', class: 'link-button', 'data-action': 'new-post', text: '改为发新帖' }))
    : h('span', { class: 'composer-target', 'data-testid': 'composer-target' },
      h('span', { class: 'post-tag', text: '发新帖' }),
      h('span', { class: 'muted', text: '点击帖子上的「回复」可回复该帖子' })));
}

function renderTray() {
  const tray = $('composer-tray');
  tray.hidden = pictures.length === 0;
  tray.replaceChildren(...pictures.map((picture, n) => h('span', { class: 'tray-item', title: picture.name, 'data-testid': 'tray-picture' },
    picture.thumb || h('span', { class: 'tray-name', text: picture.name }),
    h('button', {
      type: 'button', class: 'tray-remove', title: '移除这张图片', 'aria-label': '移除这张图片', text: '×',
      onclick: () => { pictures.splice(n, 1); renderTray(); updateSend(); },
    }))));
}

function updateSend() {
  const ready = !sending && !$('composer-text').disabled
    && ($('composer-text').value.trim() !== '' || pictures.length > 0);
  $('composer-send').disabled = !ready;
}

// ---------------------------------------------------------------- the note of callbacks

/** Shows, in the composer of `chatid`, the callbacks something caused there (`title`: what). */
export function noteCallbacks(chatid, title, callbacks, chatKind) {
  const listed = (callbacks || []).map((c) => ({ ...c, status: seen.get(c.id) || c.status }));
  notes.set(chatid, { title, callbacks: listed, chatKind });
  if (chatid === state.chatId) renderNote();
}

/** A `callback` event: the status of a callback a note lists. */
export function onCallbackUpdate(entry) {
  seen.delete(entry.id); // re-inserted: the Map keeps the newest last
  seen.set(entry.id, entry.status);
  if (seen.size > SEEN_KEPT) seen.delete(seen.keys().next().value);
  for (const [chatid, note] of notes) {
    const listed = note.callbacks.find((c) => c.id === entry.id);
    if (!listed) continue;
    listed.status = entry.status;
    if (chatid === state.chatId) renderNote();
  }
}

function whyNone(kind) {
  if (kind === 'single') return '机器人还没有配置回调地址（在「机器人」页设置）';
  return '群聊和小黑板中，只有 @机器人 的文字消息会回调该机器人（图片只在单聊中回调），且机器人需先配置回调地址';
}

function renderNote() {
  const element = $('composer-note');
  const note = notes.get(state.chatId);
  if (!note) {
    element.replaceChildren(h('span', { class: 'muted', text: 'Enter 发送 · Shift+Enter 换行 · 可粘贴图片' }));
    return;
  }
  if (!note.callbacks.length) {
    element.replaceChildren(h('span', { class: 'note-none', 'data-testid': 'note-none', title: whyNone(note.chatKind), text: `${note.title}没有触发回调：${whyNone(note.chatKind)}` }));
    return;
  }
  element.replaceChildren(
    h('span', { class: 'note-title', text: `${note.title}触发了 ${note.callbacks.length} 个回调：` }),
    ...note.callbacks.map((c) => h('a', {
      class: 'note-callback', 'data-testid': 'note-callback', href: `#/callbacks/${encodeURIComponent(c.bot_id)}/${c.id}`,
      title: '在回调日志中查看请求与响应', dataset: { status: c.status, callbackId: String(c.id) },
    },
    h('span', { text: botName(c.bot_id) }),
    h('span', { class: `status-badge status-${c.status}`, text: STATUS_LABEL[c.status] || c.status }),
    h('span', { class: 'note-link', text: '查看 ›' }))));
}

// ---------------------------------------------------------------- pictures

function readBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

/** A small preview drawn on a canvas: the CSP allows no `blob:` or `data:` picture, but a
 *  bitmap decoded from the file needs no URL at all. */
async function thumbnail(file) {
  try {
    const bitmap = await createImageBitmap(file);
    const canvas = h('canvas', { class: 'tray-thumb', width: THUMB_PX * 2, height: THUMB_PX * 2 });
    const side = Math.min(bitmap.width, bitmap.height);
    canvas.getContext('2d').drawImage(bitmap, (bitmap.width - side) / 2, (bitmap.height - side) / 2, side, side, 0, 0, THUMB_PX * 2, THUMB_PX * 2);
    bitmap.close();
    return canvas;
  } catch {
    return null;
  }
}

/** Adds pictures to the message being written, refusing what WeCom would refuse. */
export async function addPictures(files) {
  for (const file of files) {
    if (!PICTURE_TYPES.has(file.type)) { toast(`「${file.name || '图片'}」不是 JPG 或 PNG 图片`, 'error'); continue; }
    if (file.size > PICTURE_MAX_BYTES) { toast(`「${file.name || '图片'}」超过 2 MB`, 'error'); continue; }
    if (pictures.length >= MAX_PICTURES) { toast(`一条消息最多 ${MAX_PICTURES} 张图片`, 'error'); break; }
    try {
      const [base64, thumb] = await Promise.all([readBase64(file), thumbnail(file)]);
      pictures.push({ name: file.name || '粘贴的图片', base64, thumb });
    } catch {
      toast(`无法读取「${file.name || '图片'}」`, 'error');
    }
  }
  renderTray();
  updateSend();
}

// ---------------------------------------------------------------- sending

/** The API body of what the box holds: text, one picture (image) or both (mixed). */
function messageBody(text) {
  const body = { from: state.asUser };
  if (!pictures.length) {
    body.msgtype = 'text';
    body.text = { content: text };
  } else if (!text.trim() && pictures.length === 1) {
    body.msgtype = 'image';
    body.image = { base64: pictures[0].base64 };
  } else {
    body.msgtype = 'mixed';
    body.mixed = {
      items: [
        ...(text.trim() ? [{ type: 'text', content: text }] : []),
        ...pictures.map((p) => ({ type: 'image', base64: p.base64 })),
      ],
    };
  }
  if (state.chat.kind === 'blackboard' && state.replyTo) body.post_id = state.replyTo;
  return body;
}

async function send() {
  const box = $('composer-text');
  const text = box.value.replace(/\s+$/, '');
  if (sending || box.disabled || (!text.trim() && !pictures.length)) return;
  const chat = state.chat;
  const chatid = state.chatId;
  const body = messageBody(text);
  sending = true;
  updateSend();
  let answer;
  try {
    answer = await api(`/chats/${encodeURIComponent(chatid)}/messages`, { method: 'POST', body });
  } catch (error) {
    toast(`发送失败：${error.message}`, 'error');
    return;
  } finally {
    sending = false;
    updateSend();
  }
  drafts.delete(chatid);
  if (state.chatId === chatid) {
    box.value = '';
    pictures = [];
    renderTray();
    updateSend();
  }
  const message = answer && answer.message;
  if (message) {
    rememberPreview(message);
    renderChatList();
    if (state.chatId === chatid) showMessage(message, { scroll: 'bottom' });
  }
  noteCallbacks(chatid, '这条消息', (answer && answer.callbacks) || [], chat.kind);
}

/** Every listener of the composer (its elements are in index.html). */
export function bindComposer() {
  const box = $('composer-text');
  bindMentionPicker(box, $('mention-picker'), () => chatBots(state.chat));
  $('composer').addEventListener('submit', (event) => { event.preventDefault(); send(); });
  box.addEventListener('keydown', (event) => {
    // The picker's keys are its own (Escape must not also close the detail pane).
    if (mentionKey(event)) { event.preventDefault(); event.stopPropagation(); return; }
    // Not while an input method composes (Enter then picks the characters).
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      send();
    }
  });
  box.addEventListener('input', updateSend);
  box.addEventListener('paste', (event) => {
    const files = Array.from((event.clipboardData && event.clipboardData.files) || []).filter((f) => f.type.startsWith('image/'));
    if (!files.length) return;
    event.preventDefault();
    addPictures(files);
  });
  $('composer-mention').addEventListener('click', startMention);
  $('composer-picture').addEventListener('click', () => $('composer-file').click());
  $('composer-file').addEventListener('change', async (event) => {
    const input = event.target;
    await addPictures(Array.from(input.files || []));
    input.value = ''; // the same file may be chosen again
    box.focus();
  });
  $('composer-context').addEventListener('click', (event) => {
    if (event.target instanceof Element && event.target.closest('[data-action="new-post"]')) replyTo(null);
  });
}

/** Points the composer at a blackboard post (null: a new post) and redraws what shows it. */
export function replyTo(postId) {
  state.replyTo = postId || null;
  renderComposer();
  for (const section of document.querySelectorAll('#timeline .post[data-post-id]')) {
    const on = section.dataset.postId === state.replyTo;
    section.classList.toggle('replying', on);
    const button = section.querySelector('[data-action="reply-post"]');
    if (button) {
      button.setAttribute('aria-pressed', String(on));
      button.textContent = on ? '正在回复' : '回复';
    }
  }
  if (state.replyTo) $('composer-text').focus();
}
