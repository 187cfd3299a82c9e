// The fault-injection page (故障注入, `#/faults`): the rules of `/api/v1/faults` in the order the
// server tries them, each with what it matches, its effect, its trigger and its counters
// (matched / injected), refreshed every 2 s and after each webhook call the stream reports; a
// form to add one, delete per rule and "delete all". A refused rule shows the server's 400
// message verbatim: it names the field that is wrong (and, for an unknown errcode, the known
// ones). The rules themselves are the server's (crates/server/src/fault/): in memory, tried in
// order, the first that matches and fires wins.

import { api, listOf } from './api.js';
import { $, h, toast } from './dom.js';
import { TYPE_LABEL, botName, chatName, findChat, state } from './state.js';
import { fullTime, parseTime } from './time.js';

/** How often the open page asks for the counters again. */
const REFRESH_MS = 2000;
/** A burst of webhook calls costs one reload. */
const ACTIVITY_DELAY_MS = 150;

/** The errmsg of the errcodes the form suggests (WeCom's texts, crates/protocol/src/error.rs). */
const ERRMSG = {
  45009: 'api freq out of limit', 45033: 'api concurrent out of limit', '-1': 'system error',
  93000: 'invalid webhook url', 40058: 'invalid Request Parameter', 301019: 'media md5 not match',
};
const ENDPOINT_LABEL = { send: '发送消息', upload_media: '上传文件', get_chat_info: '会话信息' };
const EFFECT_HINT = {
  errcode: 'WeCom 的应答（HTTP 200），带这个 errcode 的原文 errmsg；消息不保存',
  http_status: '网关的 HTML 错误页，如同企业微信前面的代理出错；消息不保存',
  delay_ms: '等待后照常处理（消息会保存），可用来测试发送方的超时',
  drop: '读完请求后直接断开连接，不返回任何内容；消息不保存',
  hang: '一直不应答，直到发送方放弃；消息不保存',
};
const TRIGGER_HINT = {
  always: '每个匹配的调用都失败',
  times: '接下来匹配的 N 个调用失败，之后照常',
  every: '第 N、2N、3N… 个匹配的调用失败',
  probability: '每个匹配的调用以这个概率失败（0 到 1）；给定种子则结果可重复',
};

let rules = [];
let refreshTimer = null;
let activityTimer = null;
let loadToken = 0;

/** The route `#/faults`: fills the form's choices, loads the rules and keeps them current. */
export async function openFaults() {
  renderChoices();
  if (!refreshTimer) refreshTimer = setInterval(tick, REFRESH_MS);
  api('/bots').then((bots) => {
    state.bots = listOf(bots, 'bots');
    renderChoices();
    renderRules(); // bot names
  }).catch(() => {});
  await loadRules();
}

/** A webhook call happened (a message or a rejection came): the counters changed. */
export function onFaultActivity() {
  if (state.route.name !== 'faults') return;
  clearTimeout(activityTimer);
  activityTimer = setTimeout(() => { loadRules(); }, ACTIVITY_DELAY_MS);
}

function tick() {
  if (state.route.name !== 'faults') {
    clearInterval(refreshTimer);
    refreshTimer = null;
    return;
  }
  if (!document.hidden) loadRules();
}

async function loadRules() {
  const token = ++loadToken;
  let loaded;
  try {
    loaded = listOf(await api('/faults'), 'faults');
  } catch (error) {
    if (token === loadToken) $('faults-title').textContent = `规则（加载失败：${error.message}）`;
    return;
  }
  if (token !== loadToken) return; // a newer load is on its way
  rules = loaded;
  renderRules();
}

// ---------------------------------------------------------------- the list

function chip(label, value, title) {
  return h('span', { class: 'fault-chip', title }, h('span', { class: 'muted', text: `${label} ` }), h('code', { text: value }));
}

function matchCell(match) {
  const m = match || {};
  const chips = [];
  if (m.bot_id) chips.push(chip('机器人', botName(m.bot_id), m.bot_id));
  if (m.key) chips.push(chip('key', m.key));
  if (m.endpoint) chips.push(chip('接口', m.endpoint, ENDPOINT_LABEL[m.endpoint]));
  if (m.msgtype) chips.push(chip('类型', m.msgtype, TYPE_LABEL[m.msgtype]));
  if (m.chatid) {
    const chat = findChat(m.chatid);
    chips.push(chip('会话', chat ? chatName(chat) : m.chatid, m.chatid));
  }
  return chips.length ? chips : h('span', { class: 'muted', text: '所有调用' });
}

function effectCell(effect) {
  const e = effect || {};
  if (e.errcode !== undefined) {
    const errmsg = ERRMSG[e.errcode];
    return [h('code', { class: 'errcode', text: `errcode ${e.errcode}` }), errmsg ? h('span', { class: 'muted', text: ` ${errmsg}` }) : null];
  }
  if (e.http_status !== undefined) return h('code', { class: 'errcode', text: `HTTP ${e.http_status}` });
  if (e.delay_ms !== undefined) return h('span', { text: `延迟 ${e.delay_ms} 毫秒` });
  if (e.drop) return h('span', { text: '断开连接' });
  if (e.hang) return h('span', { text: '挂起（不应答）' });
  return h('code', { text: JSON.stringify(e) });
}

/** The trigger in words, and whether the rule can no longer fire. */
function trigger(rule) {
  const parts = [];
  let spent = false;
  if (rule.times !== undefined && rule.times !== null) {
    const left = Math.max(0, rule.times - Number(rule.injected || 0));
    parts.push(`接下来 ${rule.times} 次（剩 ${left} 次）`);
    if (left === 0) spent = true;
  }
  if (rule.every !== undefined && rule.every !== null) parts.push(`每第 ${rule.every} 次`);
  if (rule.probability !== undefined && rule.probability !== null) {
    const seed = rule.seed !== undefined && rule.seed !== null ? `，种子 ${rule.seed}` : '';
    parts.push(`概率 ${Math.round(rule.probability * 1000) / 10}%${seed}`);
  }
  const until = parseTime(rule.until_at);
  if (until) {
    const past = until.getTime() <= Date.now();
    parts.push(`截至 ${fullTime(until)}${past ? '（已过）' : ''}`);
    if (past) spent = true;
  } else if (rule.until) {
    parts.push(`截至 ${rule.until}`);
  }
  return { text: parts.length ? parts.join(' · ') : '每次', spent };
}

function ruleRow(rule) {
  const { text, spent } = trigger(rule);
  const remove = h('button', { type: 'button', class: 'link-button danger', 'data-testid': 'fault-delete', text: '删除' });
  remove.addEventListener('click', () => deleteRule(rule.id));
  return h('tr', { class: spent ? 'fault-spent' : '', 'data-testid': 'fault', dataset: { id: String(rule.id) } },
    h('td', { class: 'nowrap muted', text: `#${rule.id}` }),
    h('td', {}, h('div', { class: 'fault-match' }, matchCell(rule.match))),
    h('td', {}, effectCell(rule.effect)),
    h('td', { 'data-testid': 'fault-trigger-text' }, text, spent ? h('span', { class: 'status-badge status-spent', text: '已失效' }) : null),
    h('td', { class: 'count', 'data-testid': 'fault-matched', text: String(rule.matched ?? 0) }),
    h('td', { class: 'count', 'data-testid': 'fault-injected', text: String(rule.injected ?? 0) }),
    h('td', { class: 'nowrap muted', title: rule.source === 'flag' ? '启动参数 --fault' : 'POST /api/v1/faults', text: rule.source === 'flag' ? '--fault' : 'API' }),
    h('td', { class: 'nowrap' }, remove));
}

function renderRules() {
  if (state.route.name !== 'faults') return;
  $('faults').replaceChildren(...rules.map(ruleRow));
  $('faults-empty').hidden = rules.length !== 0;
  $('faults').closest('table').hidden = rules.length === 0;
  $('faults-title').textContent = `规则（${rules.length}）`;
  $('faults-clear').hidden = rules.length === 0;
}

async function deleteRule(id) {
  try {
    await api(`/faults/${encodeURIComponent(id)}`, { method: 'DELETE' });
    toast(`已删除规则 #${id}`);
  } catch (error) {
    if (error.status !== 404) toast(`删除失败：${error.message}`, 'error');
  }
  await loadRules();
}

async function clearRules() {
  if (!window.confirm('删除全部故障注入规则（包括 --fault 启动参数给的）？')) return;
  try {
    const cleared = await api('/faults', { method: 'DELETE' });
    toast(`已删除 ${cleared && cleared.deleted !== undefined ? cleared.deleted : ''} 条规则`);
  } catch (error) {
    toast(`删除失败：${error.message}`, 'error');
  }
  await loadRules();
}

// ---------------------------------------------------------------- the form

/** The bots, types and chats the form offers (what is chosen stays chosen). */
function renderChoices() {
  const form = $('fault-form');
  const bot = form.elements.bot_id;
  const chosen = bot.value;
  bot.replaceChildren(h('option', { value: '', text: '任意机器人' }),
    ...state.bots.map((b) => h('option', { value: b.id, text: `${b.name || b.id}（${b.id}）` })));
  if (chosen && !state.bots.some((b) => b.id === chosen)) bot.append(h('option', { value: chosen, text: chosen }));
  bot.value = chosen;
  $('fault-msgtypes').replaceChildren(...Object.entries(TYPE_LABEL).map(([type, label]) => h('option', { value: type, label })));
  $('fault-chats').replaceChildren(...state.chats.map((c) => h('option', { value: c.chatid, label: chatName(c) })));
  showChoice();
}

/** Shows the inputs of the chosen effect and trigger only. */
function showChoice() {
  const form = $('fault-form');
  const effect = form.elements.effect.value;
  const when = form.elements.trigger.value;
  for (const element of form.querySelectorAll('[data-effect]')) element.hidden = element.dataset.effect !== effect;
  for (const element of form.querySelectorAll('[data-trigger]')) element.hidden = element.dataset.trigger !== when;
  $('fault-effect-hint').textContent = EFFECT_HINT[effect] || '';
  $('fault-trigger-hint').textContent = TRIGGER_HINT[when] || '';
}

/** A whole number typed in `input` (the browser empties the value of what is not a number). */
function whole(input) {
  const text = input.value.trim();
  return /^-?\d+$/.test(text) ? Number(text) : null;
}

/** The rule the form describes, or `{problem}` when a field the server needs is not a number. */
function ruleOf(form) {
  const fields = form.elements;
  const effect = fields.effect.value;
  const rule = {};
  if (effect === 'errcode') {
    const errcode = whole(fields.errcode);
    if (errcode === null) return { problem: '请填写 errcode（整数，例如 45009）' };
    rule.effect = { errcode };
  } else if (effect === 'http_status') {
    rule.effect = { http_status: Number(fields.http_status.value) };
  } else if (effect === 'delay_ms') {
    const delay = whole(fields.delay_ms);
    if (delay === null) return { problem: '请填写延迟的毫秒数（整数）' };
    rule.effect = { delay_ms: delay };
  } else {
    rule.effect = { [effect]: true };
  }
  const when = fields.trigger.value;
  if (when === 'times' || when === 'every') {
    const n = whole(fields[when]);
    if (n === null) return { problem: `请填写${when === 'times' ? '次数' : '每第几次'}（整数）` };
    rule[when] = n;
  } else if (when === 'probability') {
    const text = fields.probability.value.trim();
    if (!text || Number.isNaN(Number(text))) return { problem: '请填写概率（0 到 1 之间的数）' };
    rule.probability = Number(text);
    if (fields.seed.value.trim()) {
      const seed = whole(fields.seed);
      if (seed === null) return { problem: '种子须为整数' };
      rule.seed = seed;
    }
  }
  const until = fields.until.value.trim();
  if (until) rule.until = until;
  const match = {};
  for (const name of ['bot_id', 'endpoint', 'msgtype', 'chatid']) {
    const value = fields[name].value.trim();
    if (value) match[name] = value;
  }
  if (Object.keys(match).length) rule.match = match;
  return { rule };
}

function showError(text) {
  $('fault-error').textContent = text;
  $('fault-error-box').hidden = false;
}

async function addRule(event) {
  event.preventDefault();
  const form = $('fault-form');
  $('fault-error-box').hidden = true;
  const { rule, problem } = ruleOf(form);
  if (problem) {
    showError(problem);
    return;
  }
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    const added = await api('/faults', { method: 'POST', body: rule });
    toast(`已添加规则 #${added.id}`);
  } catch (error) {
    // Verbatim: the server says which field is wrong and what it takes.
    showError(error.message);
  } finally {
    button.disabled = false;
  }
  await loadRules();
}

/** The form's and the list's listeners (their elements are in index.html). */
export function bindFaults() {
  const form = $('fault-form');
  form.elements.effect.addEventListener('change', showChoice);
  form.elements.trigger.addEventListener('change', showChoice);
  form.addEventListener('submit', addRule);
  $('faults-clear').addEventListener('click', clearRules);
  showChoice();
}
