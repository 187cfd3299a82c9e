// Copy buttons: copy a text to the clipboard and say so in a toast. Without a secure context
// (the inbox opened over plain http on another host), the Clipboard API is missing, so the
// text is copied through a hidden textarea instead.

import { h, toast } from './dom.js';

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

/** A button that copies `getText()` (read at click time). */
export function copyButton(getText, label) {
  return h('button', {
    type: 'button', class: 'copy-button', 'data-testid': 'copy', text: label || '复制',
    onclick: (event) => { event.stopPropagation(); copyText(getText()); },
  });
}
