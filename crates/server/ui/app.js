// Hookpit web inbox: the entry module (index.html's only script). It wires the modules of js/
// together and starts the inbox. Plain ES modules, no build step, no dependencies; the inbox
// talks only to the public `/api/v1` API and gets live updates from `GET /api/v1/events`.
//
// Safety rules (the page runs under `script-src 'self'`, but the code must not rely on that):
// - the only server string inserted as HTML is a message item's `html` field, which the render
//   crate produces safe by construction; it goes through a <template> and the inbox's own scrub
//   (js/safe-html.js), so nothing in it runs;
// - every other string (bot, chat and user names, file names, request JSON, errmsg...) is set
//   with textContent or as an attribute value, never parsed as HTML (js/dom.js `h`);
// - nothing is ever evaluated, and no style is ever built from message text: looks come from
//   classes (render.css, app.css). The one per-message style, a markdown button's colour, is
//   parsed to three numbers first and set through the CSSOM as `rgb(r, g, b)`;
// - nothing on another host is fetched until the reader asks: the render crate gives remote
//   pictures no `src`, the scrub removes any `src` of another origin, and js/remote-images.js
//   loads them on a click or with the "自动加载远程图片" setting.
//
// Layout of js/ (each module imports only modules listed before it: no import cycles):
// - dom, time, safe-html, state: helpers and the shared state; remote-images: pictures of other
//   hosts that wait for the reader, and placeholders for pictures that fail; pretty: callback
//   payloads (XML, JSON) indented and coloured;
// - api: the API client; curl, clipboard: copy buttons and curl examples; relay: the freshest
//   relay state of each relayed message and the status line under its bubble;
// - chat-list, message-row, blackboard, timeline, chat-head: drawing the sidebar and a chat
//   (message-row also clicks markdown buttons as the "view as" user);
// - mention, composer: writing in a chat as the "view as" user, and the note of the callbacks
//   it caused;
// - callbacks: the callback log; callback-settings: a bot's callback URL and its single chat;
//   relay-settings: a bot's relay to a real WeCom bot (its upstream and mode);
// - detail, chat, bots, rejections, faults, relay-queues, view-as, router: the views and what
//   opens them;
// - live: the event stream (held by the worker of live-worker.js); controls: every user
//   interaction.
//
// The event stream opens once the first view is drawn, and never with `?live=0` (a capture:
// `chromium --headless --virtual-time-budget=5000 --screenshot 'http://HOST/?live=0'`).

import { api, listOf, reportError } from './js/api.js';
import { loadChats, renderChatList } from './js/chat-list.js';
import { bindEvents } from './js/controls.js';
import { connectEvents, showLiveOff } from './js/live.js';
import { route } from './js/router.js';
import { state } from './js/state.js';
import { renderViewAs } from './js/view-as.js';

/** Whether the page keeps itself current (`?live=0`: no event stream, e.g. for screenshots). */
const LIVE = new URLSearchParams(location.search).get('live') !== '0';

async function start() {
  bindEvents();
  try {
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
    document.body.dataset.ready = 'true'; // the browser tests wait for this
  } finally {
    // Only now (even when the first view failed): the first view is drawn from what the API
    // answered, and the stream brings what comes after (js/live.js loads again what came in
    // between).
    if (LIVE) setTimeout(connectEvents, 0);
    else showLiveOff();
  }
}

// A module runs once the document is parsed (modules are deferred), so the DOM is complete.
start().catch(reportError);
