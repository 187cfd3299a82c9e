// The inbox's event stream (`GET /api/v1/events`), held by a dedicated worker that relays it to
// the page (js/live.js). A classic worker script, not a module: it imports nothing.
//
// Why a worker: Chromium's `--virtual-time-budget` (headless captures such as
// `chromium --headless --virtual-time-budget=5000 --screenshot`) stops the page's clock while
// any of the page's requests is pending, and an open EventSource is pending for ever: the
// budget never ran out and the capture never finished. A worker's requests do not hold the
// page's clock. Browsers without EventSource in workers are told so (`unsupported`), and the
// page opens the stream itself.
//
// Messages from the page: `{url}` (once; the stream's URL, with the admin token when there is
// one). To the page: `{kind: 'state', type: 'open'|'error', readyState}`,
// `{kind: 'event', type, data, lastEventId}` and `{kind: 'unsupported'}`.

/** The named events the server sends (api/events.rs). */
const EVENTS = ['message', 'rejection', 'cleared', 'callback', 'relay'];

let source = null;

self.addEventListener('message', (event) => {
  const url = event.data && event.data.url;
  if (source || typeof url !== 'string') return;
  if (typeof self.EventSource !== 'function') {
    self.postMessage({ kind: 'unsupported' });
    return;
  }
  source = new self.EventSource(url);
  for (const type of ['open', 'error']) {
    source.addEventListener(type, () => self.postMessage({ kind: 'state', type, readyState: source.readyState }));
  }
  for (const type of EVENTS) {
    source.addEventListener(type, (message) => {
      self.postMessage({ kind: 'event', type, data: message.data, lastEventId: message.lastEventId });
    });
  }
});
