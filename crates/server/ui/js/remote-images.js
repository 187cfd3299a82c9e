// Remote pictures and broken pictures. The render crate writes a picture on another host (a
// news cover, a markdown_v2 image, a template card's icon and images) without a `src`:
// `img.hp-remote-img[data-remote-src]` inside a `.hp-remote` placeholder, so that opening the
// inbox fetches nothing from a sender's servers (no tracking pixel learns that a message was
// read). A picture loads only when the reader asks: a click on its placeholder, the "加载图片"
// button of its message, or the "自动加载远程图片" setting (remembered, off by default). The URL is
// checked again here before it becomes a `src`.
//
// Any picture that fails to load, remote or the server's own, shows a "图片无法加载" placeholder
// instead of vanishing. The CSP allows no inline handlers, so `load` and `error` (which do not
// bubble) are caught by capturing listeners on the containers.

import { h } from './dom.js';
import { REMOTE_IMAGES_KEY, state } from './state.js';

const FAILED = '图片无法加载';
const PENDING = 'img.hp-remote-img[data-remote-src]:not([src])';

/** The URL if `value` is an absolute http(s) URL, else null (the render crate emits no other;
 *  this holds even if it one day did). */
function remoteUrl(value) {
  try {
    const url = new URL(value || '');
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

/** Shows why a remote picture is not there, in its placeholder. */
function showFailed(holder) {
  holder.classList.remove('hp-remote-loading');
  holder.classList.add('hp-remote-failed');
  const note = holder.querySelector('.hp-remote-note');
  if (note) note.textContent = FAILED;
}

/** Loads one remote picture (an `img.hp-remote-img`) now. */
function loadPicture(img) {
  const holder = img.closest('.hp-remote');
  if (!holder || holder.classList.contains('hp-remote-loaded')) return;
  const url = remoteUrl(img.getAttribute('data-remote-src'));
  if (!url) { showFailed(holder); return; }
  holder.classList.remove('hp-remote-failed');
  holder.classList.add('hp-remote-loading');
  img.referrerPolicy = 'no-referrer';
  img.src = url;
}

/** Drops a message's "加载图片" button once none of its pictures waits any more. */
function dropButtonWhenDone(element) {
  const row = element.closest('.msg');
  if (!row || row.querySelector(PENDING)) return;
  const button = row.querySelector('[data-action="load-images"]');
  if (button) button.remove();
}

/** Loads every remote picture under `root` that waits, and drops the "加载图片" buttons there. */
export function loadPicturesIn(root) {
  for (const img of root.querySelectorAll(PENDING)) loadPicture(img);
  for (const button of root.querySelectorAll('[data-action="load-images"]')) button.remove();
}

/** Loads the picture of a clicked placeholder; true when the click was on one that waits (the
 *  caller then stops it: a placeholder inside a news card must not open the article). */
export function clickPlaceholder(target) {
  const holder = target.closest('.hp-remote');
  // A loaded or failed picture is just part of its card again: a click opens its link, if any.
  if (!holder || holder.classList.contains('hp-remote-loaded') || holder.classList.contains('hp-remote-failed')) return false;
  const img = holder.querySelector('img.hp-remote-img');
  if (!img) return false;
  if (!img.hasAttribute('src')) loadPicture(img); // else it is loading already
  dropButtonWhenDone(holder);
  return true;
}

/** The "加载图片" button of a message whose HTML holds remote pictures; null when there is none. */
export function loadPicturesButton(body) {
  if (!body.querySelector(PENDING)) return null;
  return h('button', {
    type: 'button', class: 'msg-load-images', 'data-action': 'load-images', 'data-testid': 'load-images',
    title: '加载这条消息中来自其他网站的图片（对方可能因此得知你已查看）', text: '加载图片',
  });
}

/** Turns automatic loading on or off (remembered); turning it on loads what waits in `root`. */
export function setAutoLoad(on, root) {
  state.remoteImages = Boolean(on);
  if (state.remoteImages) localStorage.setItem(REMOTE_IMAGES_KEY, 'on');
  else localStorage.removeItem(REMOTE_IMAGES_KEY);
  if (state.remoteImages) loadPicturesIn(root);
}

function onLoad(event) {
  const img = event.target;
  if (!(img instanceof HTMLImageElement)) return;
  const holder = img.closest('.hp-remote');
  if (holder) {
    holder.classList.remove('hp-remote-loading', 'hp-remote-failed');
    holder.classList.add('hp-remote-loaded');
  }
}

function onError(event) {
  const img = event.target;
  if (!(img instanceof HTMLImageElement) || !img.hasAttribute('src')) return;
  const holder = img.closest('.hp-remote');
  if (holder) { showFailed(holder); return; }
  // One of the server's own pictures (its file is gone, or the server is down): a placeholder
  // the size of the picture's slot, with the picture's alt text for screen readers.
  img.replaceWith(h('span', {
    class: 'hp-img-failed', role: 'img', 'aria-label': img.alt ? `${img.alt}：${FAILED}` : FAILED, text: FAILED,
  }));
}

/** Watches the pictures under `container` (the timeline, the detail pane): marks remote ones
 *  loaded, and replaces any that fails by a placeholder. */
export function watchPictures(container) {
  container.addEventListener('load', onLoad, true);
  container.addEventListener('error', onError, true);
}
