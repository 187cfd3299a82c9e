// The inbox's own clean-up of message HTML. A message item's `html` is already safe (the render
// crate escapes all text and emits only http(s) URLs); this scrub is defence in depth, so that
// a server bug never becomes script in the page. It is the only path by which server text is
// parsed as HTML.

// Never expected from the render crate; dropped should one ever slip through.
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
export function safeFragment(html) {
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
