// Hookpit web inbox.
//
// Plain modern JavaScript, no build step, no dependencies. It talks only to the public `/api/v1`
// API and receives live updates from `GET /api/v1/events` (Server-Sent Events).
//
// Safety rules (the page runs under `script-src 'self'`, but this file must not rely on that):
// - the only server string inserted as HTML is a message item's `html` field, which the render
//   crate produces safe by construction; it goes through a <template>, so nothing in it runs;
// - every other string (bot, chat and user names, file names, request JSON, errmsg...) is set
//   with textContent or as an attribute value, never parsed as HTML;
// - nothing is ever evaluated, and no style is ever built from message text: looks come from
//   classes (render.css, app.css). The one per-message style, a markdown button's colour, is
//   parsed to three numbers first and set through the CSSOM as `rgb(r, g, b)` (which the CSP
//   allows, unlike a style attribute).
'use strict';

(() => {
  const API = '/api/v1';
  const PAGE_SIZE = 50;
  const TOKEN_KEY = 'hookpit.token';
  const VIEW_AS_KEY = 'hookpit.viewAs';
  const TIME_GAP_MS = 5 * 60 * 1000; // WeCom shows a time divider after a pause of a few minutes

  const KIND_LABEL = { group: '群聊', blackboard: '小黑板', single: '单聊' };
  const TYPE_LABEL = {
    text: '文本', markdown: 'Markdown', markdown_v2: 'Markdown v2', image: '图片', news: '图文',
    file: '文件', voice: '语音', miniprogram: '小程序', template_card: '模板卡片',
  };

  const state = {
    chats: [],
    users: [],
    bots: [],
    kindFilter: '',
    chatId: null,
    chat: null,
    posts: [],
    messages: [], // oldest first
    nextCursor: null,
    loadingOlder: false,
    asUser: localStorage.getItem(VIEW_AS_KEY) || '',
    q: '',
    detailId: null,
    previews: new Map(), // chatid -> {text, at}
    rejections: [],
    rejectionsUnseen: 0,
    route: { name: 'home' },
    loadToken: 0,
  };

  const $ = (id) => document.getElementById(id);

  // ---------------------------------------------------------------- DOM helpers

  /** Creates an element; text children become text nodes, never HTML. */
  function h(tag, attrs, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'class') element.className = value;
      else if (name === 'text') element.textContent = value;
      else if (name === 'dataset') Object.assign(element.dataset, value);
      else if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
      else element.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return element;
  }

  // Never expected from the render crate; dropped as defence in depth should one ever slip through.
  const UNSAFE_ELEMENTS = 'script, iframe, frame, frameset, object, embed, applet, style, link, meta, base, form, math, template, noscript, foreignObject, animate, set, animateMotion, animateTransform';
  const URL_ATTRIBUTES = new Set(['href', 'src', 'action', 'formaction', 'poster', 'data', 'background', 'xlink:href', 'cite', 'longdesc']);

  function isWebUrl(value) {
    try {
      const url = new URL(value, location.href);
      return url.protocol === 'https:' || url.protocol === 'http:';
    } catch {
      return false;
    }
  }

  /** Parses the server-rendered, already safe message HTML into a fragment. A <template> parses
   *  without running or loading anything; the scrub then drops what the render crate never emits
   *  (scripts, frames, handlers, styles, non-web URLs) before the fragment enters the page. */
  function safeFragment(html) {
    const template = document.createElement('template');
    template.innerHTML = typeof html === 'string' ? html : '';
    const fragment = template.content;
    for (const element of fragment.querySelectorAll(UNSAFE_ELEMENTS)) element.remove();
    for (const element of fragment.querySelectorAll('*')) {
      for (const attribute of Array.from(element.attributes)) {
        const name = attribute.name.toLowerCase();
        if (name.startsWith('on') || name === 'style' || name === 'srcset' || name === 'srcdoc'
          || (URL_ATTRIBUTES.has(name) && !isWebUrl(attribute.value))) {
          element.removeAttribute(attribute.name);
        }
      }
    }
    applyDataStyles(fragment);
    return fragment;
  }

  /** The render crate cannot use style attributes (the CSP drops them), so it passes a markdown
   *  button's colours as `data-border-color`/`data-text-color` (`#rrggbb`). Only the three
   *  numbers parsed from a strict `#rrggbb` reach the CSSOM, so no text of the message ever
   *  becomes CSS. (A card image's aspect ratio needs nothing here: render.css has a class per
   *  allowed ratio.) */
  function applyDataStyles(root) {
    const rgb = (value) => {
      const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(value || '');
      if (!match) return null;
      const [r, g, b] = match.slice(1).map((pair) => Number.parseInt(pair, 16));
      return `rgb(${r}, ${g}, ${b})`;
    };
    for (const element of root.querySelectorAll('[data-border-color], [data-text-color]')) {
      const border = rgb(element.getAttribute('data-border-color'));
      const text = rgb(element.getAttribute('data-text-color'));
      if (border) element.style.borderColor = border;
      if (text) element.style.color = text;
    }
  }

  function toast(message, kind) {
    const element = $('toast');
    element.textContent = message;
    element.dataset.kind = kind || 'info';
    element.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { element.hidden = true; }, 2600);
  }

  /** One of the nine avatar colour classes of app.css (`avatar-c0`…`avatar-c8`), stable per seed. */
  const AVATAR_COLOURS = 9;
  function colourClass(seed) {
    let hash = 0;
    for (const ch of String(seed || '')) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
    return `avatar-c${hash % AVATAR_COLOURS}`;
  }
  function initial(name) {
    const trimmed = String(name || '?').trim();
    return trimmed ? Array.from(trimmed)[0].toUpperCase() : '?';
  }
  function avatar(name, seed, extraClass) {
    const classes = ['avatar', colourClass(seed || name), extraClass].filter(Boolean).join(' ');
    return h('span', { class: classes, 'aria-hidden': 'true', text: initial(name) });
  }

  // ---------------------------------------------------------------- time formatting

  const pad = (n) => String(n).padStart(2, '0');
  function parseTime(value) {
    if (value === undefined || value === null || value === '') return null;
    const date = typeof value === 'number' ? new Date(value < 1e12 ? value * 1000 : value) : new Date(value);
    return Number.isNaN(date.getTime()) ? null : date;
  }
  function sameDay(a, b) {
    return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
  }
  function clock(date) { return `${pad(date.getHours())}:${pad(date.getMinutes())}`; }
  /** WeCom-style: "10:21", "昨天 10:21", "3月5日 10:21", "2024年3月5日 10:21". */
  function dividerTime(date) {
    const now = new Date();
    if (sameDay(date, now)) return clock(date);
    const yesterday = new Date(now.getTime() - 86400000);
    if (sameDay(date, yesterday)) return `昨天 ${clock(date)}`;
    if (date.getFullYear() === now.getFullYear()) return `${date.getMonth() + 1}月${date.getDate()}日 ${clock(date)}`;
    return `${date.getFullYear()}年${date.getMonth() + 1}月${date.getDate()}日 ${clock(date)}`;
  }
  /** Chat list style: "10:21", "昨天", "3/5", "2024/3/5". */
  function shortTime(date) {
    if (!date) return '';
    const now = new Date();
    if (sameDay(date, now)) return clock(date);
    if (sameDay(date, new Date(now.getTime() - 86400000))) return '昨天';
    if (date.getFullYear() === now.getFullYear()) return `${date.getMonth() + 1}/${date.getDate()}`;
    return `${date.getFullYear()}/${date.getMonth() + 1}/${date.getDate()}`;
  }
  function fullTime(date) {
    if (!date) return '';
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${clock(date)}:${pad(date.getSeconds())}`;
  }

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message || code || `HTTP ${status}`);
      this.status = status;
      this.code = code;
    }
  }

  async function api(path, { method = 'GET', body } = {}) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const token = localStorage.getItem(TOKEN_KEY);
    if (token) headers.Authorization = `Bearer ${token}`;
    const response = await fetch(API + path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store',
    });
    const text = await response.text();
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch { data = null; }
    }
    if (response.status === 401) askForToken();
    if (!response.ok) {
      throw new ApiError(response.status, data && data.code, data && data.message);
    }
    return data;
  }

  /** Lists come either bare or wrapped (`{chats: [...]}`): accept both. */
  function listOf(data, ...keys) {
    if (Array.isArray(data)) return data;
    if (data && typeof data === 'object') {
      for (const key of [...keys, 'items', 'data']) if (Array.isArray(data[key])) return data[key];
    }
    return [];
  }

  function query(params) {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
    }
    const text = search.toString();
    return text ? `?${text}` : '';
  }

  function askForToken() {
    if (askForToken.asked) return;
    askForToken.asked = true;
    const form = h('form', { class: 'token-form' },
      h('p', { text: '这个 Hookpit 需要管理令牌（--admin-token）。' }),
      h('input', { type: 'password', name: 'token', placeholder: '管理令牌', autocomplete: 'off' }),
      h('button', { type: 'submit', class: 'button', text: '保存并重新加载' }));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      localStorage.setItem(TOKEN_KEY, form.elements.token.value.trim());
      location.reload();
    });
    const overlay = h('div', { class: 'overlay' }, form);
    document.body.append(overlay);
    form.elements.token.focus();
  }

  // ---------------------------------------------------------------- users and "view as"

  function userName(userid) {
    const user = state.users.find((u) => u.userid === userid);
    return user && user.name ? user.name : userid;
  }

  function memberIds(chat) {
    return listOf(chat && chat.members, 'members').map((m) => (typeof m === 'string' ? m : m && m.userid)).filter(Boolean);
  }

  function renderViewAs() {
    const select = $('view-as');
    const current = state.asUser;
    select.replaceChildren(h('option', { value: '', text: '全部消息（管理员）' }));
    for (const user of state.users) {
      const label = user.name && user.name !== user.userid ? `${user.name}（${user.userid}）` : user.userid;
      select.append(h('option', { value: user.userid, text: label }));
    }
    if (current && !state.users.some((u) => u.userid === current)) {
      select.append(h('option', { value: current, text: current }));
    }
    select.value = current;
  }

  function renderViewAsBanner() {
    const banner = $('view-as-banner');
    if (!state.asUser) { banner.hidden = true; return; }
    banner.hidden = false;
    const notMember = state.chat && memberIds(state.chat).length && !memberIds(state.chat).includes(state.asUser);
    banner.replaceChildren(
      h('span', { text: `正在以「${userName(state.asUser)}」的身份查看：只显示 TA 可见的消息` }),
      notMember ? h('span', { class: 'warn', text: '（TA 不是本会话成员）' }) : null,
      h('button', { type: 'button', class: 'link-button', text: '退出', onclick: () => setViewAs('') }));
  }

  function setViewAs(userid) {
    state.asUser = userid || '';
    if (state.asUser) localStorage.setItem(VIEW_AS_KEY, state.asUser);
    else localStorage.removeItem(VIEW_AS_KEY);
    $('view-as').value = state.asUser;
    // Previews may show what the new viewer may not see: fetch them again under the new viewer.
    state.previews.clear();
    loadChats().catch(() => {});
    if (state.route.name === 'chat') openChat(state.chatId, { keepDetail: false });
  }

  /** Whether a live message may be shown under the current "view as" user. */
  function visibleNow(message) {
    if (!state.asUser) return true;
    const visibleTo = listOf(message.visible_to);
    return visibleTo.length === 0 || visibleTo.includes(state.asUser);
  }

  // ---------------------------------------------------------------- chat list

  function chatName(chat) {
    if (!chat) return '';
    if (chat.name) return chat.name;
    if (chat.kind === 'single') {
      const other = memberIds(chat)[0];
      if (other) return userName(other);
    }
    return chat.chatid;
  }

  function chatTime(chat) {
    const preview = state.previews.get(chat.chatid);
    return parseTime(chat.last_message_at) || (preview && preview.at) || null;
  }

  function sortChats() {
    state.chats.sort((a, b) => {
      const ta = chatTime(a); const tb = chatTime(b);
      return (tb ? tb.getTime() : 0) - (ta ? ta.getTime() : 0);
    });
  }

  /** One line summarising a message, as a WeCom chat list does ("[图片]", "[文件] a.pdf"). */
  function previewText(message) {
    const c = message.content || {};
    const cut = (s) => String(s || '').replace(/\s+/g, ' ').slice(0, 80);
    switch (message.msgtype) {
      case 'text': return cut(c.content);
      case 'markdown': case 'markdown_v2': return cut(String(c.content || '').replace(/[#*>`]/g, ''));
      case 'image': return '[图片]';
      case 'news': return `[图文] ${cut(c.articles && c.articles[0] && c.articles[0].title)}`;
      case 'file': return `[文件] ${cut(c.name || c.file_name || c.filename || '')}`;
      case 'voice': return '[语音]';
      case 'miniprogram': return `[小程序] ${cut(c.title)}`;
      case 'template_card': return `[卡片] ${cut((c.main_title && c.main_title.title) || c.sub_title_text)}`;
      default: return `[${message.msgtype || '消息'}]`;
    }
  }

  function rememberPreview(message) {
    if (!message || !message.chatid) return;
    const at = parseTime(message.created_at);
    const known = state.previews.get(message.chatid);
    if (known && known.at && at && known.at > at) return;
    state.previews.set(message.chatid, { text: `${botOf(message).name || ''}: ${previewText(message)}`, at });
  }

  async function loadChats() {
    const data = await api('/chats');
    state.chats = listOf(data, 'chats');
    sortChats();
    renderChatList();
    // Previews are not part of the chat list: fetch the newest message of the first chats.
    const missing = state.chats.filter((c) => !state.previews.has(c.chatid) && Number(c.message_count || 0) !== 0).slice(0, 30);
    await Promise.all(missing.map(async (chat) => {
      try {
        const page = await api(`/messages${query({ chatid: chat.chatid, as_user: state.asUser, limit: 1 })}`);
        const newest = listOf(page, 'messages')[0];
        if (newest) rememberPreview(newest);
      } catch { /* a preview is optional */ }
    }));
    if (missing.length) renderChatList();
  }

  let chatReloadTimer = null;
  function reloadChatsSoon() {
    clearTimeout(chatReloadTimer);
    chatReloadTimer = setTimeout(() => {
      loadChats().then(() => { if (state.route.name === 'home') route(); }).catch(() => {});
    }, 150);
  }

  /** The chats the "view as" user is in (all of them for the admin view). The open chat stays
   *  listed so that the list never loses the highlighted entry. */
  function visibleChats() {
    if (!state.asUser) return state.chats;
    return state.chats.filter((c) => c.chatid === state.chatId
      || memberIds(c).length === 0 || memberIds(c).includes(state.asUser));
  }

  function renderChatList() {
    const list = $('chat-list');
    const chats = visibleChats().filter((c) => !state.kindFilter || c.kind === state.kindFilter);
    if (!chats.length) {
      list.replaceChildren(h('li', { class: 'chat-list-empty', text: state.chats.length ? '没有这类会话' : '还没有会话' }));
      return;
    }
    list.replaceChildren(...chats.map((chat) => {
      const name = chatName(chat);
      const preview = state.previews.get(chat.chatid);
      const unread = Number(chat.unread || 0);
      const active = state.route.name === 'chat' && state.chatId === chat.chatid;
      const kindClass = `kind-${chat.kind || 'group'}`;
      const sub = preview ? preview.text
        : `${KIND_LABEL[chat.kind] || ''}${memberIds(chat).length ? ` · ${memberIds(chat).length} 人` : ''}`;
      return h('li', {},
        h('a', {
          class: `chat-item ${kindClass}${active ? ' active' : ''}`,
          href: `#/chat/${encodeURIComponent(chat.chatid)}`,
          dataset: { chatid: chat.chatid, kind: chat.kind || '' },
          'aria-current': active ? 'page' : undefined,
        },
        h('span', { class: 'chat-avatar-wrap' },
          avatar(chat.kind === 'blackboard' ? '板' : name, chat.chatid, kindClass),
          unread ? h('span', { class: 'badge unread', 'data-testid': 'unread', text: unread > 99 ? '99+' : String(unread) }) : null),
        h('span', { class: 'chat-text' },
          h('span', { class: 'chat-row' },
            h('span', { class: 'chat-name', text: name }),
            h('span', { class: 'chat-time', text: shortTime(chatTime(chat)) })),
          h('span', { class: 'chat-row' },
            h('span', { class: 'chat-preview', text: sub }),
            chat.kind && chat.kind !== 'group' ? h('span', { class: `kind-tag ${kindClass}`, text: KIND_LABEL[chat.kind] || chat.kind }) : null))));
    }));
  }

  // ---------------------------------------------------------------- routing

  function parseRoute() {
    const hash = decodeURIComponent(location.hash.replace(/^#\/?/, ''));
    if (hash.startsWith('chat/')) return { name: 'chat', chatId: hash.slice(5) };
    if (hash === 'bots') return { name: 'bots' };
    if (hash === 'rejections') return { name: 'rejections' };
    return { name: 'home' };
  }

  function showView(id) {
    for (const view of document.querySelectorAll('.view')) view.hidden = view.id !== id;
    const nav = id === 'view-bots' ? 'bots' : id === 'view-rejections' ? 'rejections' : 'chats';
    for (const item of document.querySelectorAll('.rail-item')) item.classList.toggle('active', item.dataset.nav === nav);
    document.body.dataset.view = nav;
  }

  async function route() {
    state.route = parseRoute();
    const r = state.route;
    if (r.name === 'home') {
      const chats = visibleChats();
      const latest = chats.find((c) => chatTime(c)) || chats[0];
      if (latest) {
        location.replace(`#/chat/${encodeURIComponent(latest.chatid)}`);
        return;
      }
      state.chatId = null;
      showView('view-empty');
      renderChatList();
      return;
    }
    if (r.name === 'chat') {
      showView('view-chat');
      if (r.chatId !== state.chatId) await openChat(r.chatId);
      else renderChatList();
      return;
    }
    closeDetail();
    if (r.name === 'bots') { showView('view-bots'); renderChatList(); await loadBots(); }
    if (r.name === 'rejections') {
      showView('view-rejections');
      renderChatList();
      state.rejectionsUnseen = 0;
      renderRejectionBadge();
      await loadRejections();
    }
  }

  // ---------------------------------------------------------------- one chat

  const nodes = new Map(); // message id -> rendered row, reused so clicked buttons keep their state

  async function openChat(chatId, { keepDetail = false } = {}) {
    const token = ++state.loadToken;
    state.chatId = chatId;
    state.chat = state.chats.find((c) => c.chatid === chatId) || null;
    state.messages = [];
    state.nextCursor = null;
    state.posts = [];
    nodes.clear();
    if (!keepDetail) closeDetail();
    const qInput = $('search');
    if (qInput.value !== state.q) qInput.value = state.q;
    renderChatHead();
    renderViewAsBanner();
    renderChatList();
    $('timeline-inner').replaceChildren(h('div', { class: 'timeline-loading', text: '加载中…' }));
    try {
      if (!state.chat) {
        try { state.chat = await api(`/chats/${encodeURIComponent(chatId)}`); } catch { state.chat = null; }
        renderChatHead();
      }
      const [page, posts] = await Promise.all([
        api(`/messages${query({ chatid: chatId, as_user: state.asUser, q: state.q, limit: PAGE_SIZE })}`),
        state.chat && state.chat.kind === 'blackboard'
          ? api(`/chats/${encodeURIComponent(chatId)}/posts`).catch(() => [])
          : Promise.resolve([]),
      ]);
      if (token !== state.loadToken) return;
      state.posts = listOf(posts, 'posts');
      const items = listOf(page, 'messages');
      state.messages = items.slice().reverse();
      state.nextCursor = (page && page.next_cursor) || null;
      if (!state.q && items[0]) rememberPreview(items[0]);
      renderTimeline({ scroll: 'bottom' });
      markRead(chatId);
    } catch (error) {
      if (token !== state.loadToken) return;
      const text = error.status === 404 ? '没有这个会话' : `加载失败：${error.message}`;
      $('timeline-inner').replaceChildren(h('div', { class: 'timeline-empty', text }));
    }
  }

  async function loadOlder() {
    if (!state.nextCursor || state.loadingOlder) return;
    state.loadingOlder = true;
    const token = state.loadToken;
    const timeline = $('timeline');
    const fromBottom = timeline.scrollHeight - timeline.scrollTop;
    try {
      const page = await api(`/messages${query({
        chatid: state.chatId, as_user: state.asUser, q: state.q, limit: PAGE_SIZE, before: state.nextCursor,
      })}`);
      if (token !== state.loadToken) return;
      const older = listOf(page, 'messages').slice().reverse();
      const known = new Set(state.messages.map((m) => m.id));
      state.messages = older.filter((m) => !known.has(m.id)).concat(state.messages);
      state.nextCursor = (page && page.next_cursor) || null;
      renderTimeline({});
      timeline.scrollTop = timeline.scrollHeight - fromBottom;
    } catch (error) {
      toast(`加载更早的消息失败：${error.message}`, 'error');
    } finally {
      state.loadingOlder = false;
    }
  }

  async function refreshPosts(chatId) {
    const token = state.loadToken;
    try {
      const posts = listOf(await api(`/chats/${encodeURIComponent(chatId)}/posts`), 'posts');
      if (token !== state.loadToken) return;
      state.posts = posts;
      renderTimeline({ scroll: 'follow' });
    } catch { /* the reply layout stays until the next load */ }
  }

  const readTimers = new Map(); // chatid -> pending "mark read" call
  /** Clears the badge at once and tells the server shortly after: a burst of live messages into
   *  the open chat then costs one request, not one each (per chat, so that switching chats
   *  quickly never drops the call of the chat left). */
  function markRead(chatId) {
    const chat = state.chats.find((c) => c.chatid === chatId);
    if (chat && Number(chat.unread || 0) !== 0) {
      chat.unread = 0;
      renderChatList();
    }
    clearTimeout(readTimers.get(chatId));
    readTimers.set(chatId, setTimeout(() => {
      readTimers.delete(chatId);
      api(`/chats/${encodeURIComponent(chatId)}/read`, { method: 'POST', body: {} })
        .catch(() => { /* unread counts are cosmetic; the next chat list load corrects them */ });
    }, 100));
  }

  function renderChatHead() {
    const chat = state.chat;
    $('chat-name').textContent = chat ? chatName(chat) : state.chatId || '';
    const members = memberIds(chat);
    const parts = [];
    if (chat && chat.kind) parts.push(KIND_LABEL[chat.kind] || chat.kind);
    if (members.length) parts.push(`${members.length} 位成员`);
    const bots = listOf(chat && chat.bots, 'bots');
    if (bots.length) parts.push(`${bots.length} 个机器人`);
    if (state.chatId) parts.push(state.chatId);
    const meta = $('chat-meta');
    meta.textContent = parts.join(' · ');
    meta.title = members.map(userName).join('、');
    document.title = chat ? `${chatName(chat)} - Hookpit` : 'Hookpit 收件箱';
  }

  function lintList(message) {
    const lints = listOf(message.lints, 'lints');
    if (!lints.length) return null;
    return h('ul', { class: 'msg-lints', 'data-testid': 'lints' }, lints.map((lint) => h('li', {
      class: 'lint', title: lint.code || '',
    }, h('span', { class: 'lint-icon', 'aria-hidden': 'true', text: '!' }), h('span', { text: lint.message || lint.code || '' }))));
  }

  function visibilityTag(message) {
    const visibleTo = listOf(message.visible_to);
    if (!visibleTo.length) return null;
    const names = visibleTo.map(userName);
    const text = names.length > 3 ? `仅 ${names.slice(0, 3).join('、')} 等 ${names.length} 人可见` : `仅 ${names.join('、')} 可见`;
    return h('span', { class: 'msg-visibility', 'data-testid': 'visibility', title: visibleTo.join('|'), text });
  }

  /** `{id, name}` of a message's bot (the item's `bot`, or flat `bot_id`/`bot_name`). */
  function botOf(message) {
    if (message.bot && typeof message.bot === 'object') return message.bot;
    return { id: message.bot_id, name: message.bot_name };
  }

  function messageRow(message) {
    const bot = botOf(message);
    const botName = bot.name || bot.id || '机器人';
    const created = parseTime(message.created_at);
    const body = h('div', { class: `msg-body msgtype-${message.msgtype || 'unknown'}` });
    body.append(safeFragment(message.html));
    const row = h('div', {
      class: 'msg', 'data-testid': 'message',
      dataset: { id: String(message.id), msgtype: message.msgtype || '' },
    },
    avatar(botName, bot.id || botName, 'msg-avatar'),
    h('div', { class: 'msg-main' },
      h('div', { class: 'msg-meta' },
        h('span', { class: 'msg-sender', text: botName }),
        h('span', { class: 'bot-tag', text: '机器人' }),
        created ? h('time', { class: 'msg-time', datetime: created.toISOString(), title: fullTime(created), text: clock(created) }) : null,
        visibilityTag(message),
        h('button', { type: 'button', class: 'msg-inspect', 'data-action': 'detail', title: '查看请求、回复与检查结果', text: '详情' })),
      body,
      lintList(message)));
    if (listOf(message.lints).length) row.classList.add('has-lints');
    return row;
  }

  function rowFor(message) {
    const key = String(message.id);
    let row = nodes.get(key);
    if (!row) {
      row = messageRow(message);
      nodes.set(key, row);
    }
    row.classList.toggle('selected', state.detailId !== null && String(state.detailId) === key);
    return row;
  }

  function withDividers(messages) {
    const out = [];
    let previous = null;
    for (const message of messages) {
      const at = parseTime(message.created_at);
      if (at && (!previous || at - previous > TIME_GAP_MS || !sameDay(at, previous))) {
        out.push(h('div', { class: 'time-divider' }, h('span', { text: dividerTime(at) })));
      }
      if (at) previous = at;
      out.push(rowFor(message));
    }
    return out;
  }

  /** Blackboard: bot posts (no post_id) and the user posts of `/posts`, each followed by the
   *  replies whose post_id points at it; replies to unknown posts get a placeholder post. */
  function blackboardBlocks(messages) {
    const postKey = (p) => String(p.post_id || p.id || '');
    const posts = new Map();
    for (const post of state.posts) {
      posts.set(postKey(post), { post, message: null, replies: [], at: parseTime(post.created_at) });
    }
    const order = [];
    for (const message of messages) {
      if (message.post_id) {
        const key = String(message.post_id);
        if (!posts.has(key)) posts.set(key, { post: { post_id: key }, message: null, replies: [], at: parseTime(message.created_at) });
        const entry = posts.get(key);
        if (entry.post.message_id !== undefined && String(entry.post.message_id) === String(message.id)) entry.message = message;
        else entry.replies.push(message);
      } else {
        const entry = { post: null, message, replies: [], at: parseTime(message.created_at) };
        posts.set(`message:${message.id}`, entry);
      }
    }
    for (const entry of posts.values()) order.push(entry);
    const latest = (e) => {
      const times = [e.at, ...e.replies.map((r) => parseTime(r.created_at))].filter(Boolean);
      return times.length ? Math.max(...times.map((t) => t.getTime())) : 0;
    };
    order.sort((a, b) => latest(a) - latest(b));
    return order.filter((e) => e.message || e.replies.length || e.post).map((entry) => {
      const head = entry.post ? h('div', { class: 'post-head' },
        h('span', { class: 'post-tag', text: '帖子' }),
        h('span', { class: 'post-title', text: entry.post.title || entry.post.content || entry.post.text || '' }),
        entry.post.author ? h('span', { class: 'post-author', text: userName(entry.post.author) }) : null,
        h('span', { class: 'post-id', text: postKey(entry.post) })) : h('div', { class: 'post-head' }, h('span', { class: 'post-tag', text: '机器人发帖' }));
      return h('section', { class: 'post', 'data-testid': 'post' },
        head,
        entry.message ? rowFor(entry.message) : null,
        entry.replies.length ? h('div', { class: 'post-replies' },
          h('div', { class: 'post-replies-head', text: `${entry.replies.length} 条回复` }),
          entry.replies.map(rowFor)) : null);
    });
  }

  function renderTimeline({ scroll }) {
    const timeline = $('timeline');
    const nearBottom = timeline.scrollHeight - timeline.scrollTop - timeline.clientHeight < 120;
    const inner = $('timeline-inner');
    const children = [];
    if (state.nextCursor) {
      children.push(h('div', { class: 'load-older' },
        h('button', { type: 'button', class: 'link-button', 'data-action': 'older', text: '查看更早的消息' })));
    }
    if (!state.messages.length && !(state.chat && state.chat.kind === 'blackboard' && state.posts.length)) {
      children.push(h('div', { class: 'timeline-empty', text: state.q ? `没有包含「${state.q}」的消息` : '这个会话还没有消息' }));
    } else if (state.chat && state.chat.kind === 'blackboard') {
      children.push(...blackboardBlocks(state.messages));
    } else {
      children.push(...withDividers(state.messages));
    }
    inner.replaceChildren(...children);
    if (scroll === 'bottom' || (scroll === 'follow' && nearBottom)) timeline.scrollTop = timeline.scrollHeight;
    else if (scroll === 'follow') showNewBelow();
  }

  function showNewBelow() {
    let pill = document.querySelector('.new-below');
    if (!pill) {
      pill = h('button', { type: 'button', class: 'new-below', text: '有新消息 ↓' });
      pill.addEventListener('click', () => {
        $('timeline').scrollTop = $('timeline').scrollHeight;
        pill.remove();
      });
      $('view-chat').append(pill);
    }
  }

  function matchesSearch(message) {
    if (!state.q) return true;
    const needle = state.q.toLowerCase();
    return JSON.stringify(message.content || {}).toLowerCase().includes(needle);
  }

  // ---------------------------------------------------------------- detail pane

  function closeDetail() {
    state.detailId = null;
    $('detail').hidden = true;
    document.body.classList.remove('with-detail');
    for (const row of document.querySelectorAll('.msg.selected')) row.classList.remove('selected');
  }

  function prettyJson(value) {
    if (value === undefined || value === null) return '';
    if (typeof value === 'string') {
      try { return JSON.stringify(JSON.parse(value), null, 2); } catch { return value; }
    }
    return JSON.stringify(value, null, 2);
  }

  function copyButton(getText, label) {
    return h('button', {
      type: 'button', class: 'copy-button', 'data-testid': 'copy', text: label || '复制',
      onclick: (event) => { event.stopPropagation(); copyText(getText()); },
    });
  }

  async function copyText(text) {
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
      } else {
        const area = h('textarea', { class: 'copy-area', readonly: true });
        area.value = text;
        document.body.append(area);
        area.select();
        document.execCommand('copy');
        area.remove();
      }
      toast('已复制');
    } catch {
      toast('复制失败，请手动选择复制', 'error');
    }
  }

  function shellQuote(text) { return `'${String(text).replace(/'/g, `'\\''`)}'`; }

  function section(title, ...content) {
    return h('section', { class: 'detail-section' }, h('h3', { text: title }), ...content);
  }

  async function openDetail(id) {
    state.detailId = id;
    for (const row of document.querySelectorAll('.msg')) row.classList.toggle('selected', row.dataset.id === String(id));
    const pane = $('detail');
    pane.hidden = false;
    document.body.classList.add('with-detail');
    const body = $('detail-body');
    body.replaceChildren(h('p', { class: 'muted', text: '加载中…' }));
    let message;
    try {
      message = await api(`/messages/${encodeURIComponent(id)}`);
    } catch (error) {
      if (state.detailId === id) body.replaceChildren(h('p', { class: 'error', text: `加载失败：${error.message}` }));
      return;
    }
    if (state.detailId !== id) return;
    const item = message.message && message.message.id !== undefined ? { ...message.message, ...message } : message;
    const created = parseTime(item.created_at);
    const chat = state.chats.find((c) => c.chatid === item.chatid);
    const facts = [
      ['消息 ID', item.id],
      ['请求 ID', item.request_id],
      ['类型', item.msgtype ? `${item.msgtype}（${TYPE_LABEL[item.msgtype] || ''}）` : ''],
      ['机器人', botOf(item).id ? `${botOf(item).name || ''} (${botOf(item).id})` : ''],
      ['会话', item.chatid ? `${chat ? chatName(chat) + ' · ' : ''}${item.chatid}` : ''],
      ['会话类型', KIND_LABEL[item.chat_type || item.chat_kind] || item.chat_type || item.chat_kind],
      ['来源 IP', item.from_ip],
      ['帖子', item.post_id],
      ['时间', created ? fullTime(created) : item.created_at],
      ['仅谁可见', listOf(item.visible_to).map((u) => `${userName(u)} (${u})`).join('、') || '所有成员'],
      ['提醒（@）', listOf(item.mentions).map((m) => (typeof m === 'string' ? m : m.userid || m.mobile || JSON.stringify(m))).join('、')],
    ].filter(([, value]) => value !== undefined && value !== null && value !== '');
    const raw = prettyJson(item.raw_request);
    const reply = prettyJson(item.reply);
    const lints = listOf(item.lints, 'lints');
    const bot = state.bots.find((b) => b.id === botOf(item).id);
    body.replaceChildren(
      h('dl', { class: 'facts' }, facts.flatMap(([key, value]) => [h('dt', { text: key }), h('dd', { text: String(value) })])),
      section(`检查结果（${lints.length}）`, lints.length
        ? h('ul', { class: 'detail-lints', 'data-testid': 'detail-lints' }, lints.map((l) => h('li', {},
          h('code', { text: l.code || '' }), h('span', { text: l.message || '' }))))
        : h('p', { class: 'ok', text: '没有发现问题' })),
      section('发送方收到的回复',
        h('div', { class: 'code-wrap' }, h('pre', { class: 'code', 'data-testid': 'detail-reply', text: reply || '（无）' }), copyButton(() => reply))),
      section('原始请求 JSON',
        h('div', { class: 'code-wrap' }, h('pre', { class: 'code', 'data-testid': 'detail-raw', text: raw || '（无）' }), copyButton(() => raw)),
        bot && raw ? h('div', { class: 'detail-actions' }, copyButton(() => `curl ${shellQuote(bot.webhook_url)} \\\n  -H 'Content-Type: application/json' \\\n  -d ${shellQuote(raw)}`, '复制为 curl 命令')) : null),
    );
  }

  // ---------------------------------------------------------------- bots page

  async function loadBots() {
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
      h('code', { class: 'url', text: url || '' }),
      copyButton(() => url || ''));
  }

  function botCard(bot) {
    const send = `curl ${shellQuote(bot.webhook_url || '')} \\\n  -H 'Content-Type: application/json' \\\n  -d '{"msgtype": "text", "text": {"content": "hello world"}}'`;
    const upload = bot.upload_url ? `curl ${shellQuote(`${bot.upload_url}${bot.upload_url.includes('type=') ? '' : '&type=file'}`)} \\\n  -F 'media=@./report.pdf'` : '';
    const chats = listOf(bot.chats, 'chats').map((c) => (typeof c === 'string' ? c : c.chatid));
    const subscription = listOf(bot.subscription, 'subscription', 'users').map((u) => (typeof u === 'string' ? u : u.userid));
    return h('article', { class: 'bot-card', 'data-testid': 'bot', dataset: { botId: String(bot.id) } },
      h('header', { class: 'bot-head' },
        avatar(bot.name || bot.id, bot.id, 'bot-avatar'),
        h('div', {},
          h('h2', { text: bot.name || bot.id }),
          h('span', { class: 'muted', text: `ID ${bot.id}` }))),
      urlLine('Webhook 地址', bot.webhook_url),
      bot.upload_url ? urlLine('文件上传地址', bot.upload_url) : null,
      h('div', { class: 'bot-section' },
        h('div', { class: 'bot-section-head' }, h('span', { text: '发送一条文本消息' }), copyButton(() => send)),
        h('pre', { class: 'code', 'data-testid': 'curl', text: send })),
      upload ? h('div', { class: 'bot-section' },
        h('div', { class: 'bot-section-head' }, h('span', { text: '上传文件（得到 media_id）' }), copyButton(() => upload)),
        h('pre', { class: 'code', text: upload })) : null,
      h('dl', { class: 'facts' },
        h('dt', { text: '所在会话' }),
        h('dd', {}, chats.length ? chats.map((id) => {
          const chat = state.chats.find((c) => c.chatid === id);
          return h('a', { class: 'chip', href: `#/chat/${encodeURIComponent(id)}`, text: chat ? chatName(chat) : id });
        }) : '无'),
        h('dt', { text: '订阅范围' }),
        h('dd', { text: subscription.length ? subscription.map(userName).join('、') : '无' })));
  }

  // ---------------------------------------------------------------- rejections page

  async function loadRejections() {
    try {
      state.rejections = listOf(await api(`/rejections${query({ limit: 200 })}`), 'rejections');
    } catch (error) {
      toast(`加载失败：${error.message}`, 'error');
      return;
    }
    renderRejections();
  }

  function rejectionRow(r) {
    const at = parseTime(r.at);
    return h('tr', { 'data-testid': 'rejection' },
      h('td', { class: 'nowrap', title: at ? fullTime(at) : '', text: at ? `${sameDay(at, new Date()) ? '' : `${shortTime(at)} `}${clock(at)}:${pad(at.getSeconds())}` : String(r.at || '') }),
      h('td', {}, h('code', { text: r.endpoint || '' })),
      h('td', {}, h('code', { text: r.key || '' })),
      h('td', {}, h('span', { class: 'errcode', text: String(r.errcode ?? '') })),
      h('td', { class: 'errmsg', text: r.errmsg || '' }),
      h('td', {}, h('code', { class: 'excerpt', text: r.body_excerpt || '' })),
      h('td', { class: 'nowrap', text: r.from_ip || '' }));
  }

  function renderRejections() {
    $('rejections').replaceChildren(...state.rejections.map(rejectionRow));
    $('rejections-empty').hidden = state.rejections.length !== 0;
  }

  function renderRejectionBadge() {
    const badge = $('rejection-badge');
    badge.hidden = state.rejectionsUnseen === 0;
    badge.textContent = state.rejectionsUnseen > 99 ? '99+' : String(state.rejectionsUnseen);
  }

  // ---------------------------------------------------------------- live updates

  function onLiveMessage(message) {
    if (!message || message.id === undefined) return;
    if (visibleNow(message)) rememberPreview(message);
    const chat = state.chats.find((c) => c.chatid === message.chatid);
    const open = state.route.name === 'chat' && state.chatId === message.chatid;
    if (chat) {
      chat.last_message_at = message.created_at || chat.last_message_at;
      chat.message_count = Number(chat.message_count || 0) + 1;
      if (!open || document.hidden) chat.unread = Number(chat.unread || 0) + 1;
      sortChats();
      renderChatList();
    } else {
      reloadChatsSoon(); // a chat we do not know yet (a new single chat, a new group)
    }
    if (open) {
      if (!visibleNow(message) || !matchesSearch(message)) return;
      if (state.messages.some((m) => String(m.id) === String(message.id))) return;
      state.messages.push(message);
      if (state.chat && state.chat.kind === 'blackboard' && message.post_id
        && !state.posts.some((p) => String(p.post_id) === String(message.post_id))) {
        // A post created after the chat was loaded (by this very message, when a bot posted
        // without post_id): fetch the posts so that it shows as a post, not as a reply.
        refreshPosts(message.chatid);
      }
      renderTimeline({ scroll: 'follow' });
      if (!document.hidden) markRead(message.chatid);
    } else if (state.route.name === 'home') {
      route();
    }
  }

  function onRejection(rejection) {
    state.rejections.unshift(rejection);
    if (state.rejections.length > 500) state.rejections.length = 500;
    if (state.route.name === 'rejections') renderRejections();
    else {
      state.rejectionsUnseen += 1;
      renderRejectionBadge();
    }
  }

  function onCleared() {
    state.messages = [];
    state.nextCursor = null;
    state.previews.clear();
    nodes.clear();
    closeDetail();
    loadChats().then(() => {
      if (state.route.name === 'chat') renderTimeline({ scroll: 'bottom' });
    }).catch(() => {});
    if (state.route.name === 'chat') renderTimeline({ scroll: 'bottom' });
  }

  function setConnection(status) {
    const element = $('conn');
    element.dataset.state = status;
    element.title = { open: '实时连接：已连接', connecting: '实时连接：连接中', closed: '实时连接：已断开，正在重连' }[status] || status;
  }

  function connectEvents() {
    const token = localStorage.getItem(TOKEN_KEY);
    const source = new EventSource(`${API}/events${token ? query({ access_token: token }) : ''}`);
    let wasOpen = false;
    const parse = (event) => { try { return JSON.parse(event.data); } catch { return null; } };
    source.addEventListener('open', () => {
      setConnection('open');
      if (wasOpen) {
        // Reconnected: catch up with what was sent while the stream was down.
        reloadChatsSoon();
        if (state.route.name === 'chat') openChat(state.chatId, { keepDetail: true });
      }
      wasOpen = true;
    });
    source.addEventListener('error', () => setConnection(source.readyState === EventSource.CLOSED ? 'closed' : 'connecting'));
    source.addEventListener('message', (event) => {
      const data = parse(event);
      if (data && data.message && data.message.id !== undefined && data.id === undefined) onLiveMessage(data.message);
      else onLiveMessage(data);
    });
    source.addEventListener('rejection', (event) => { const data = parse(event); if (data) onRejection(data); });
    source.addEventListener('cleared', onCleared);
    window.__hookpitEvents = source; // lets tests and developers inspect the stream state
  }

  // ---------------------------------------------------------------- interactions

  /** Markdown attachment buttons: WeCom replaces the buttons by their replace_text on click. */
  function clickAttachmentButton(button) {
    const replaceText = button.getAttribute('data-replace-text') || '';
    const group = button.closest('[data-attachment], .attachment, .md-attachment, .attachments') || button.parentElement;
    const replaced = h('div', { class: 'replaced-text', 'data-testid': 'replace-text', text: replaceText });
    if (group && group !== button && !group.classList.contains('msg-body')) {
      group.replaceChildren(replaced);
      group.classList.add('clicked');
    } else {
      button.replaceWith(replaced);
    }
  }

  function bindEvents() {
    window.addEventListener('hashchange', () => { route().catch(reportError); });

    $('timeline').addEventListener('click', (event) => {
      const target = event.target instanceof Element ? event.target : null;
      if (!target) return;
      const replaceButton = target.closest('button[data-replace-text]');
      if (replaceButton) {
        event.preventDefault();
        clickAttachmentButton(replaceButton);
        return;
      }
      const action = target.closest('[data-action]');
      if (action && action.dataset.action === 'older') { loadOlder(); return; }
      const link = target.closest('a[href]');
      if (link) {
        // Links in messages leave the inbox in a new tab, without a referrer or opener.
        link.target = '_blank';
        link.rel = 'noopener noreferrer';
        return;
      }
      const row = target.closest('.msg');
      if (!row) return;
      if (action && action.dataset.action === 'detail') { openDetail(row.dataset.id); return; }
      if (target.closest('button, audio, video, input, select, textarea')) return;
      if (window.getSelection && String(window.getSelection())) return; // the user is selecting text
      openDetail(row.dataset.id);
    });

    $('timeline').addEventListener('scroll', () => {
      const timeline = $('timeline');
      if (timeline.scrollTop < 40) loadOlder();
      if (timeline.scrollHeight - timeline.scrollTop - timeline.clientHeight < 40) {
        const pill = document.querySelector('.new-below');
        if (pill) pill.remove();
      }
    });

    $('detail-close').addEventListener('click', closeDetail);
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && !$('detail').hidden) closeDetail();
    });

    $('view-as').addEventListener('change', (event) => setViewAs(event.target.value));

    $('chat-tabs').addEventListener('click', (event) => {
      const tab = event.target instanceof Element && event.target.closest('button[data-kind]');
      if (!tab) return;
      state.kindFilter = tab.dataset.kind;
      for (const other of $('chat-tabs').querySelectorAll('button')) other.setAttribute('aria-selected', String(other === tab));
      renderChatList();
    });

    let searchTimer = null;
    const runSearch = () => {
      const q = $('search').value.trim();
      if (q === state.q) return;
      state.q = q;
      if (state.route.name === 'chat') openChat(state.chatId);
    };
    $('search-form').addEventListener('submit', (event) => { event.preventDefault(); clearTimeout(searchTimer); runSearch(); });
    $('search').addEventListener('input', () => { clearTimeout(searchTimer); searchTimer = setTimeout(runSearch, 300); });

    $('clear-all').addEventListener('click', async () => {
      if (!window.confirm('清空全部会话中的全部消息？此操作无法撤销。')) return;
      try {
        await api('/messages', { method: 'DELETE' });
        onCleared();
        toast('已清空全部消息');
      } catch (error) {
        toast(`清空失败：${error.message}`, 'error');
      }
    });

    document.addEventListener('visibilitychange', () => {
      if (!document.hidden && state.route.name === 'chat' && state.chatId) {
        const chat = state.chats.find((c) => c.chatid === state.chatId);
        if (chat && Number(chat.unread || 0) > 0) markRead(state.chatId);
      }
    });
  }

  function reportError(error) {
    if (error instanceof ApiError && error.status === 401) return; // the token form says it all
    // eslint-disable-next-line no-console
    console.warn('hookpit:', error);
    toast(`出错了：${error.message || error}`, 'error');
  }

  async function start() {
    bindEvents();
    connectEvents();
    const [users, bots] = await Promise.all([
      api('/users').catch(() => []),
      api('/bots').catch(() => []),
      loadChats().catch(reportError),
    ]);
    state.users = listOf(users, 'users');
    state.bots = listOf(bots, 'bots');
    renderViewAs();
    renderChatList();
    await route();
    document.body.dataset.ready = 'true';
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => start().catch(reportError));
  else start().catch(reportError);
})();
