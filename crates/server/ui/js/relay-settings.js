// A bot's relay on the bots page (转发到企业微信, docs/RELAY.md): the real WeCom bot it forwards
// to (`GET /bots/{id}/relay`: the upstream URL with its key masked, and the mode), a form to set
// it (`PUT`: the upstream URL and 全部转发 or 手动放行) and 停止转发 (`DELETE`). A refused URL
// shows the server's 400 message verbatim: it says what is wrong with it.
//
// The key of the upstream URL is a secret the server never shows again (its first 4 characters
// only), so the form never holds the saved URL: changing the mode means pasting the URL again.

import { api } from './api.js';
import { h, toast } from './dom.js';
import { RELAY_MODE_LABEL } from './relay.js';
import { fullTime, parseTime } from './time.js';

const PLACEHOLDER = 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…';

/** The relay of `bot`, or null when it does not relay. */
async function loadRelay(bot) {
  try {
    return await api(`/bots/${encodeURIComponent(bot.id)}/relay`);
  } catch (error) {
    if (error.status === 404) return null;
    throw error;
  }
}

function stateLine(config) {
  if (!config) {
    return h('span', { class: 'relay-state muted', 'data-testid': 'relay-state', text: '未转发：消息只在 Hookpit 中显示' });
  }
  const at = parseTime(config.created_at);
  return h('span', { class: 'relay-state', 'data-testid': 'relay-state' },
    h('span', { class: `status-badge ${config.mode === 'manual' ? 'status-pending' : 'status-delivered'}`, 'data-testid': 'relay-mode', dataset: { mode: config.mode }, text: RELAY_MODE_LABEL[config.mode] || config.mode }),
    h('span', { text: ' 转发到 ' }),
    h('code', { class: 'relay-upstream', 'data-testid': 'relay-upstream', text: config.upstream }),
    at ? h('span', { class: 'muted', text: ` · ${fullTime(at)} 起` }) : null);
}

/** The relay section of a bot card: loads the relay, then draws the form. */
export function relaySection(bot) {
  const section = h('section', { class: 'bot-section relay-settings', 'data-testid': 'relay-settings' },
    h('p', { class: 'muted', text: '加载转发设置…' }));
  loadRelay(bot)
    .then((config) => drawSection(section, bot, config))
    .catch((error) => section.replaceChildren(h('p', { class: 'error', text: `加载转发设置失败：${error.message}` })));
  return section;
}

/** What is wrong with the URL typed before the server is asked, or null. */
function problemOf(upstream) {
  if (!upstream) return '请填写上游地址：真实企业微信机器人的 webhook 地址（修改模式也需重新填写，已保存的密钥不会回显）';
  if (upstream.includes('…')) return '这是打码后的地址：请粘贴含完整 key 的上游地址';
  return null;
}

function drawSection(section, bot, config) {
  const error = h('div', { class: 'form-error', 'data-testid': 'relay-error-box', hidden: true },
    h('strong', { text: '未保存：' }),
    h('pre', { class: 'form-error-text', 'data-testid': 'relay-error' }));
  const save = h('button', { type: 'submit', class: 'button', 'data-testid': 'relay-save', text: config ? '保存修改' : '开始转发' });
  const mode = h('select', { name: 'mode', 'data-testid': 'relay-mode-select', 'aria-label': '转发模式' },
    h('option', { value: 'all', text: '全部转发：收到即转发' }),
    h('option', { value: 'manual', text: '手动放行：每条消息在收件箱中点「放行」后转发' }));
  mode.value = config ? config.mode : 'all';
  const form = h('form', { class: 'relay-form', autocomplete: 'off' },
    h('label', { class: 'field' },
      h('span', { class: 'field-label', text: '上游地址' }),
      h('span', { class: 'field-input' },
        h('input', { type: 'text', name: 'upstream', placeholder: PLACEHOLDER, spellcheck: 'false', autocomplete: 'off', 'data-testid': 'relay-url' }),
        h('span', { class: 'field-hint', text: '真实企业微信群机器人的 webhook 地址。Hookpit 收下每条消息（errcode 0 即已保存），再按企业微信的频率限制转发过去，失败自动重试。key 是密钥：保存后只显示前 4 位。' }))),
    h('label', { class: 'field' },
      h('span', { class: 'field-label', text: '模式' }),
      h('span', { class: 'field-input' }, mode)),
    h('div', { class: 'form-actions' },
      save,
      config ? h('button', {
        type: 'button', class: 'link-button danger', 'data-testid': 'relay-delete', text: '停止转发',
        onclick: async () => {
          if (!window.confirm(`停止把「${bot.name || bot.id}」的消息转发到企业微信？还在排队的消息会标为失败。`)) return;
          try {
            await api(`/bots/${encodeURIComponent(bot.id)}/relay`, { method: 'DELETE' });
            toast('已停止转发');
          } catch (failure) {
            if (failure.status !== 404) {
              toast(`停止失败：${failure.message}`, 'error');
              return;
            }
          }
          drawSection(section, bot, null);
        },
      }) : null,
      h('a', { class: 'link-button', href: '#/relay', 'data-testid': 'relay-queues-link', text: '查看转发队列 ›' })),
    error);
  const showError = (text) => {
    error.querySelector('pre').textContent = text;
    error.hidden = false;
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    const upstream = form.elements.upstream.value.trim();
    const problem = problemOf(upstream);
    if (problem) {
      showError(problem);
      return;
    }
    save.disabled = true;
    try {
      const saved = await api(`/bots/${encodeURIComponent(bot.id)}/relay`, { method: 'PUT', body: { upstream, mode: mode.value } });
      toast(saved.mode === 'manual' ? '已保存：新消息等待放行后转发' : '已保存：新消息将转发到企业微信');
      drawSection(section, bot, saved);
    } catch (failure) {
      // Verbatim: the server says what is wrong with the URL (or the mode).
      showError(failure.message);
      save.disabled = false;
    }
  });
  section.replaceChildren(
    h('div', { class: 'bot-section-head' }, h('span', { class: 'section-title', text: '转发到企业微信' }), stateLine(config)),
    form);
}
