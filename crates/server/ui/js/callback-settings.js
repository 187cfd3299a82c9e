// A bot's callback settings on the bots page, as WeCom's bot settings show them (接收消息配置):
// URL, Token and EncodingAESKey (left empty, Hookpit generates them), saved only once WeCom's URL
// verification passes (`PUT /bots/{id}/callback`); a failed verification shows the server's
// message verbatim, since it says exactly what the receiver answered and what was expected.
// Also "open a single chat" as the "view as" user (`POST /bots/{id}/single-chats`: enter_chat).

import { api } from './api.js';
import { loadChats } from './chat-list.js';
import { copyButton } from './clipboard.js';
import { noteCallbacks } from './composer.js';
import { h, toast } from './dom.js';
import { state, userName } from './state.js';
import { fullTime, parseTime } from './time.js';

/** The saved configuration of `bot`, or null when it has none. */
async function loadConfig(bot) {
  try {
    return await api(`/bots/${encodeURIComponent(bot.id)}/callback`);
  } catch (error) {
    if (error.status === 404) return null;
    throw error;
  }
}

function field(label, name, value, placeholder, hint) {
  return h('label', { class: 'field' },
    h('span', { class: 'field-label', text: label }),
    h('span', { class: 'field-input' },
      h('input', { type: 'text', name, value: value || '', placeholder, spellcheck: 'false', autocomplete: 'off', 'data-testid': `callback-${name}` }),
      hint || null));
}

/** The button that empties a field, so that saving generates the value (WeCom: 随机获取). */
function generateButton(name) {
  return h('button', {
    type: 'button', class: 'link-button', 'data-testid': `generate-${name}`, text: '随机生成', title: '清空此项，保存时由 Hookpit 随机生成',
    onclick: (event) => {
      const input = event.target.closest('.field').querySelector('input');
      input.value = '';
      input.placeholder = '保存时随机生成';
      input.focus();
    },
  });
}

function savedLine(config) {
  if (!config) return h('span', { class: 'callback-state muted', 'data-testid': 'callback-state', text: '未配置：机器人收不到成员的消息与点击' });
  const at = parseTime(config.verified_at);
  return h('span', { class: 'callback-state', 'data-testid': 'callback-state' },
    h('span', { class: 'status-badge status-delivered', text: '已验证' }),
    h('span', { text: ` ${at ? fullTime(at) : config.verified_at} · 格式 ` }),
    h('code', { 'data-testid': 'callback-format', text: config.format }));
}

/** The callback section of a bot card: loads the configuration, then draws the form. */
export function callbackSection(bot) {
  const section = h('section', { class: 'bot-section callback-settings', 'data-testid': 'callback-settings' },
    h('p', { class: 'muted', text: '加载回调配置…' }));
  loadConfig(bot)
    .then((config) => drawSection(section, bot, config))
    .catch((error) => section.replaceChildren(h('p', { class: 'error', text: `加载回调配置失败：${error.message}` })));
  return section;
}

function drawSection(section, bot, config) {
  const error = h('div', { class: 'form-error', 'data-testid': 'callback-error-box', hidden: true },
    h('strong', { text: 'URL 验证失败，未保存：' }),
    h('pre', { class: 'form-error-text', 'data-testid': 'callback-error' }));
  const save = h('button', { type: 'submit', class: 'button', 'data-testid': 'callback-save', text: '保存并验证' });
  const form = h('form', { class: 'callback-form', autocomplete: 'off' },
    field('URL', 'url', config && config.url, 'http://127.0.0.1:3000/callback',
      h('span', { class: 'field-hint', text: '保存时 Hookpit 按 WeCom 的规则 GET 此地址验证（1 秒内原样返回解密后的 echostr）。地址末尾加 ?robot_callback_format=json 则回调用 JSON 格式。' })),
    field('Token', 'token', config && config.token, '留空：保存时随机生成', generateButton('token')),
    field('EncodingAESKey', 'encoding_aes_key', config && config.encoding_aes_key, '留空：保存时随机生成（43 位）', generateButton('encoding_aes_key')),
    h('div', { class: 'form-actions' },
      save,
      config ? h('button', {
        type: 'button', class: 'link-button danger', 'data-testid': 'callback-delete', text: '删除回调配置',
        onclick: async () => {
          if (!window.confirm(`删除「${bot.name || bot.id}」的回调配置？之后成员的消息与点击不再回调它。`)) return;
          try {
            await api(`/bots/${encodeURIComponent(bot.id)}/callback`, { method: 'DELETE' });
            toast('已删除回调配置');
            drawSection(section, bot, null);
          } catch (failure) {
            toast(`删除失败：${failure.message}`, 'error');
          }
        },
      }) : null,
      config ? copyButton(() => `TOKEN=${config.token} ENCODING_AES_KEY=${config.encoding_aes_key}`, '复制 Token 与 Key（环境变量）') : null,
      h('a', { class: 'link-button', href: `#/callbacks/${encodeURIComponent(bot.id)}`, 'data-testid': 'callback-log-link', text: '查看回调日志 ›' })),
    error);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = (name) => form.elements[name].value.trim();
    const body = { url: value('url') };
    // Empty: the server generates them.
    if (value('token')) body.token = value('token');
    if (value('encoding_aes_key')) body.encoding_aes_key = value('encoding_aes_key');
    save.disabled = true;
    save.textContent = '验证中…';
    error.hidden = true;
    try {
      const saved = await api(`/bots/${encodeURIComponent(bot.id)}/callback`, { method: 'PUT', body });
      toast('回调地址已通过验证并保存');
      drawSection(section, bot, saved);
    } catch (failure) {
      // Verbatim: the message says what the URL answered and what was expected.
      error.querySelector('strong').textContent = failure.code === 'verification_failed' ? 'URL 验证失败，未保存：' : '未保存：';
      error.querySelector('pre').textContent = failure.message;
      error.hidden = false;
      save.disabled = false;
      save.textContent = '保存并验证';
    }
  });
  section.replaceChildren(
    h('div', { class: 'bot-section-head' }, h('span', { class: 'section-title', text: '接收消息回调' }), savedLine(config)),
    form);
}

/** "以「张三」的身份打开单聊": the user opens the bot's single chat (an enter_chat callback). */
export function singleChatButton(bot) {
  const who = state.asUser;
  const button = h('button', {
    type: 'button', class: 'copy-button', 'data-testid': 'open-single-chat', disabled: !who,
    title: who ? '模拟该成员在企业微信中打开与机器人的单聊（触发 enter_chat 回调）' : '先在会话页左上角的「视角」中选择一位成员',
    text: who ? `以「${userName(who)}」的身份打开单聊` : '打开单聊（需先选择「视角」成员）',
  });
  button.addEventListener('click', async () => {
    try {
      const opened = await api(`/bots/${encodeURIComponent(bot.id)}/single-chats`, { method: 'POST', body: { userid: who } });
      noteCallbacks(opened.chatid, '打开单聊', opened.callbacks || [], 'single');
      await loadChats().catch(() => {});
      location.hash = `#/chat/${encodeURIComponent(opened.chatid)}`;
    } catch (error) {
      toast(`打开单聊失败：${error.message}`, 'error');
    }
  });
  return button;
}
