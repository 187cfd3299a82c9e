// Pretty-printing of callback payloads (WeCom's XML or JSON) for the callback log: indented,
// one element per line, CDATA kept, and lightly coloured; and the detail pane's JSON as lines
// that wrap under their own indentation (`prettyLines`). XML is parsed with DOMParser into a
// document of its own (an XML document runs no script and loads nothing), then written out as
// text; colouring builds spans of text nodes (js/dom.js `h`). Nothing here becomes HTML.

import { h } from './dom.js';

const INDENT = '  ';

function escapeText(text) {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attributes(element) {
  return Array.from(element.attributes).map((a) => ` ${a.name}="${escapeText(a.value).replace(/"/g, '&quot;')}"`).join('');
}

function leafText(node) {
  if (node.nodeType === Node.CDATA_SECTION_NODE) return `<![CDATA[${node.nodeValue}]]>`;
  return escapeText(node.nodeValue);
}

function writeElement(element, depth, lines) {
  const pad = INDENT.repeat(depth);
  const tag = element.tagName;
  const children = Array.from(element.childNodes).filter((node) => !(node.nodeType === Node.TEXT_NODE && !node.nodeValue.trim())
    && node.nodeType !== Node.COMMENT_NODE && node.nodeType !== Node.PROCESSING_INSTRUCTION_NODE);
  if (!children.length) {
    lines.push(`${pad}<${tag}${attributes(element)}/>`);
  } else if (children.every((node) => node.nodeType === Node.TEXT_NODE || node.nodeType === Node.CDATA_SECTION_NODE)) {
    lines.push(`${pad}<${tag}${attributes(element)}>${children.map(leafText).join('')}</${tag}>`);
  } else {
    lines.push(`${pad}<${tag}${attributes(element)}>`);
    for (const child of children) {
      if (child.nodeType === Node.ELEMENT_NODE) writeElement(child, depth + 1, lines);
      else lines.push(`${pad}${INDENT}${leafText(child).trim()}`);
    }
    lines.push(`${pad}</${tag}>`);
  }
}

/** XML indented one element per line; the text as it is when it is not well-formed XML. */
export function prettyXml(text) {
  if (typeof text !== 'string' || !text.trim()) return text || '';
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  if (doc.getElementsByTagName('parsererror').length || !doc.documentElement) return text;
  const lines = [];
  writeElement(doc.documentElement, 0, lines);
  return lines.join('\n');
}

/** JSON indented by two spaces; the text as it is when it is not JSON. */
export function prettyJsonText(text) {
  if (typeof text !== 'string' || !text.trim()) return text || '';
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
}

/** Which of the two a payload is: its first character tells. */
export function payloadFormat(text) {
  const first = String(text || '').trim()[0];
  if (first === '<') return 'xml';
  if (first === '{' || first === '[') return 'json';
  return 'text';
}

/** A payload pretty-printed, by its own format. */
export function prettyPayload(text) {
  const format = payloadFormat(text);
  if (format === 'xml') return prettyXml(text);
  if (format === 'json') return prettyJsonText(text);
  return text || '';
}

// Tokens of the pretty text: XML tags and CDATA markers; JSON keys, strings, numbers, literals.
const XML_TOKENS = /(<\/?[A-Za-z_][\w:.-]*(?:\s[^<>]*?)?\/?>)|(<!\[CDATA\[|\]\]>)/g;
const JSON_TOKENS = /("(?:[^"\\]|\\.)*")(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|\b(true|false|null)\b/g;

function jsonClass(match) {
  if (match[1]) return match[2] ? 'tok-key' : 'tok-string';
  return match[3] ? 'tok-number' : 'tok-literal';
}

function tokens(text, pattern, classOf) {
  const out = [];
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) out.push(text.slice(last, match.index));
    out.push(h('span', { class: classOf(match), text: match[0] }));
    last = match.index + match[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/** The pretty text as nodes with colour classes (`tok-tag`, `tok-cdata`, `tok-key`, ...). */
export function highlighted(pretty) {
  const format = payloadFormat(pretty);
  if (format === 'xml') return tokens(pretty, XML_TOKENS, (m) => (m[1] ? 'tok-tag' : 'tok-cdata'));
  if (format === 'json') return tokens(pretty, JSON_TOKENS, jsonClass);
  return [pretty];
}

/** Pretty text as one block per line, each with a hanging indent of its own leading spaces
 *  (the CSS custom property `--indent`, in columns, set through the CSSOM: the CSP forbids
 *  style attributes). A long unbroken string (a media id, base64) then wraps under its line's
 *  start instead of at the left edge, and every other line keeps its indentation. The text of
 *  the lines is the pretty text (newlines come from the blocks); JSON is coloured as in
 *  `highlighted`. */
export function prettyLines(pretty) {
  const json = payloadFormat(pretty) === 'json';
  return String(pretty).split('\n').map((line) => {
    const element = h('span', { class: 'code-line' });
    const indent = line.length - line.trimStart().length;
    element.style.setProperty('--indent', String(indent));
    if (json) {
      element.append(line.slice(0, indent), ...tokens(line.slice(indent), JSON_TOKENS, jsonClass));
    } else {
      element.append(line);
    }
    return element;
  });
}
