// The composer's mention picker: typing `@` at the start of the text or after a space opens a
// list of the chat's bots, narrowed by what follows the `@`; choosing one writes `@BotName `
// exactly as the WeCom client inserts it (that is what makes the server call the bot back in a
// group). Arrow keys move, Enter or Tab choose, Escape closes; a click chooses too.

import { avatar, h } from './dom.js';

let textarea = null; // the composer's text box
let list = null; // the picker's element
let candidates = () => []; // the chat's bots: [{id, name}]
let at = -1; // where the `@` being completed is, or -1 when the picker is closed
let options = []; // the bots shown
let active = 0; // the highlighted option

/** Wires the picker to the composer's text box. `bots()` answers the open chat's bots. */
export function bindMentionPicker(box, element, bots) {
  textarea = box;
  list = element;
  candidates = bots;
  textarea.addEventListener('input', update);
  textarea.addEventListener('click', update);
  textarea.addEventListener('blur', () => setTimeout(closeMentions, 150)); // after a click on an option
  // mousedown, not click: the text box keeps the focus and the caret.
  list.addEventListener('mousedown', (event) => {
    const option = event.target instanceof Element && event.target.closest('[data-bot-id]');
    if (!option) return;
    event.preventDefault();
    choose(options.find((b) => b.id === option.dataset.botId));
  });
}

/** The `@query` right before the caret, if the caret is completing a mention. */
function mentionAtCaret() {
  const caret = textarea.selectionStart;
  if (caret !== textarea.selectionEnd) return null;
  const before = textarea.value.slice(0, caret);
  const match = /(^|\s)@([^\s@]*)$/.exec(before);
  if (!match) return null;
  return { at: caret - match[2].length - 1, query: match[2] };
}

function update() {
  const found = mentionAtCaret();
  if (!found) { closeMentions(); return; }
  const query = found.query.toLowerCase();
  const bots = candidates();
  const matching = bots.filter((b) => String(b.name || '').toLowerCase().includes(query)
    || String(b.id).toLowerCase().includes(query));
  at = found.at;
  if (matching.map((b) => b.id).join('\n') !== options.map((b) => b.id).join('\n')) active = 0;
  options = matching;
  render(bots.length);
}

function render(total) {
  list.hidden = false;
  const head = h('div', { class: 'mention-head', text: '提醒机器人' });
  if (!options.length) {
    list.replaceChildren(head, h('div', { class: 'mention-empty', text: total ? '没有匹配的机器人' : '本会话没有机器人' }));
    return;
  }
  list.replaceChildren(head, ...options.map((bot, n) => h('div', {
    class: `mention-option${n === active ? ' active' : ''}`,
    role: 'option',
    'aria-selected': String(n === active),
    'data-testid': 'mention-option',
    dataset: { botId: bot.id },
  }, avatar(bot.name || bot.id, bot.id, 'mention-avatar'), h('span', { class: 'mention-name', text: bot.name || bot.id }),
  h('span', { class: 'bot-tag', text: '机器人' }))));
}

/** Writes `@Name ` in place of the `@query` and puts the caret after it. */
function choose(bot) {
  if (!bot || at < 0) return;
  const caret = textarea.selectionStart;
  const inserted = `@${bot.name || bot.id} `;
  textarea.value = textarea.value.slice(0, at) + inserted + textarea.value.slice(caret).replace(/^ /, '');
  const after = at + inserted.length;
  textarea.setSelectionRange(after, after);
  closeMentions();
  textarea.focus();
  textarea.dispatchEvent(new Event('input', { bubbles: true })); // the composer's send button
}

export function closeMentions() {
  at = -1;
  options = [];
  active = 0;
  if (list) { list.hidden = true; list.replaceChildren(); }
}

export function mentionsOpen() {
  return at >= 0;
}

/** The "@" button: starts a mention at the caret (with a space before it when needed). */
export function startMention() {
  textarea.focus();
  const caret = textarea.selectionStart;
  const before = textarea.value.slice(0, caret);
  const insert = before && !/\s$/.test(before) ? ' @' : '@';
  textarea.setRangeText(insert, caret, textarea.selectionEnd, 'end');
  update();
}

/** Keys while the picker is open; true when the key was the picker's. */
export function mentionKey(event) {
  if (!mentionsOpen()) return false;
  if (event.key === 'Escape') { closeMentions(); return true; }
  if (!options.length) return false;
  if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
    const step = event.key === 'ArrowDown' ? 1 : -1;
    active = (active + step + options.length) % options.length;
    render(options.length);
    return true;
  }
  if ((event.key === 'Enter' && !event.shiftKey) || event.key === 'Tab') {
    choose(options[active]);
    return true;
  }
  return false;
}
