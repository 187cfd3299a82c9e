// The inbox's own clean-up of message HTML. A message item's `html` is already safe (the render
// crate escapes all text and emits only http(s) URLs, and gives no picture of another host a
// `src`); this scrub is defence in depth, so that a server bug never becomes script in the page,
// nor a request to another host before the reader asks for it. It is the only path by which
// server text is parsed as HTML.

// Never expected from the render crate; dropped should one ever slip through (an <svg> could
// fetch through <image href> or <use href>).
const UNSAFE_ELEMENTS = 'script, iframe, frame, frameset, object, embed, applet, style, link, meta, base, form, math, svg, template, noscript, foreignObject, animate, set, animateMotion, animateTransform';
const URL_ATTRIBUTES = new Set(['href', 'src', 'action', 'formaction', 'poster', 'data', 'background', 'xlink:href', 'cite', 'longdesc']);
// Attributes the browser fetches at once, without a click: they may name only this page's own
// origin (the server's pictures). A remote picture waits in `data-remote-src`, which this scrub
// keeps (when it is http(s)) but never turns into a `src`: js/remote-images.js does that when
// the reader asks.
const FETCH_ATTRIBUTES = new Set(['src', 'poster', 'background']);

function parseUrl(value) {
  try {
    return new URL(value, location.href);
  } catch {
    return null;
  }
}

function isWebUrl(value) {
  const url = parseUrl(value);
  return Boolean(url) && (url.protocol === 'https:' || url.protocol === 'http:');
}

function isOwnUrl(value) {
  const url = parseUrl(value);
  return Boolean(url) && url.origin === location.origin;
}

/** Whether the attribute `name` (lowercase) with `value` is dropped. */
function unsafeAttribute(name, value) {
  if (name.startsWith('on') || name === 'style' || name === 'srcset' || name === 'srcdoc') return true;
  if (URL_ATTRIBUTES.has(name) && !isWebUrl(value)) return true;
  if (FETCH_ATTRIBUTES.has(name) && !isOwnUrl(value)) return true;
  // Absolute http(s) only: a relative value would resolve against this page.
  if (name === 'data-remote-src') return !/^https?:/i.test(value) || !isWebUrl(value);
  return false;
}

/** Parses the server-rendered, already safe message HTML into a fragment. A <template> parses
 *  without running or loading anything; the scrub then drops what the render crate never emits
 *  (scripts, frames, handlers, styles, non-web URLs, fetches from other origins) before the
 *  fragment enters the page. */
export function safeFragment(html) {
  const template = document.createElement('template');
  template.innerHTML = typeof html === 'string' ? html : '';
  const fragment = template.content;
  for (const element of fragment.querySelectorAll(UNSAFE_ELEMENTS)) element.remove();
  for (const element of fragment.querySelectorAll('*')) {
    for (const attribute of Array.from(element.attributes)) {
      if (unsafeAttribute(attribute.name.toLowerCase(), attribute.value)) element.removeAttribute(attribute.name);
    }
  }
  applyDataStyles(fragment);
  return fragment;
}

/** `rgb(r, g, b)` of a strict `#rrggbb`, or null: only these three numbers ever become CSS. */
function rgb(value) {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(value || '');
  if (!match) return null;
  const [r, g, b] = match.slice(1).map((pair) => Number.parseInt(pair, 16));
  return `rgb(${r}, ${g}, ${b})`;
}

/** The render crate cannot use style attributes (the CSP drops them), so it passes a markdown
 *  button's colours as `data-border-color`/`data-text-color` (`#rrggbb`). They are set through
 *  the CSSOM (which the CSP allows, unlike a style attribute) as parsed numbers, so no text of
 *  the message ever becomes CSS. (A card image's aspect ratio needs nothing here: render.css
 *  has a class per allowed ratio.) */
function applyDataStyles(root) {
  for (const element of root.querySelectorAll('[data-border-color], [data-text-color]')) {
    const border = rgb(element.getAttribute('data-border-color'));
    const text = rgb(element.getAttribute('data-text-color'));
    if (border) element.style.borderColor = border;
    if (text) element.style.color = text;
  }
}
