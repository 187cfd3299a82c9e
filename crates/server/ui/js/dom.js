// DOM helpers of the inbox: `$` (an element by id), `h` (builds elements: text always becomes a
// text node, never HTML), the toast, and the letter avatars of bots and chats.

/** The element with this id (every id used is in index.html). */
export const $ = (id) => document.getElementById(id);

/** Creates an element; text children become text nodes, never HTML. */
export function h(tag, attrs, ...children) {
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

let toastTimer = null;

/** Shows a short notice at the bottom of the page; `kind` is `info` (default) or `error`. */
export function toast(message, kind) {
  const element = $('toast');
  element.textContent = message;
  element.dataset.kind = kind || 'info';
  element.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { element.hidden = true; }, 2600);
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

/** A round avatar showing the first letter of `name`, coloured by `seed` (default: the name). */
export function avatar(name, seed, extraClass) {
  const classes = ['avatar', colourClass(seed || name), extraClass].filter(Boolean).join(' ');
  return h('span', { class: classes, 'aria-hidden': 'true', text: initial(name) });
}
