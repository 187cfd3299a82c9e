// Ready-to-paste curl commands (the bots page, the detail pane's "copy as curl").

/** `text` as one single-quoted POSIX shell word. */
function shellQuote(text) { return `'${String(text).replace(/'/g, `'\\''`)}'`; }

/** A curl command that POSTs the JSON text `body` to `url`. */
export function curlJson(url, body) {
  return `curl ${shellQuote(url)} \\\n  -H 'Content-Type: application/json' \\\n  -d ${shellQuote(body)}`;
}

/** A curl command that uploads `./report.pdf` to an `upload_media` URL. */
export function curlUpload(url) {
  return `curl ${shellQuote(url)} \\\n  -F 'media=@./report.pdf'`;
}
