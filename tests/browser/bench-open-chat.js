// Benchmark: opening a chat that holds 100,000 messages returns its first page in under 50 ms
// of server time.
//
// Run with `tests/browser/run.sh bench` (which starts the server as for the tests) or against a
// running server started with `--limits off` and HOOKPIT_URL and HOOKPIT_KEY set. It seeds one
// group through the real webhook (the rate limits being off), then times the inbox's first request for the chat, `GET /api/v1/messages?chatid=
// &limit=50`, as the client sees it on loopback: an upper bound of the server time. When the
// server sends a `Server-Timing` header its own figure is reported too.
//
// Environment: BENCH_MESSAGES (default 100000), BENCH_RUNS (default 200), BENCH_BUDGET_MS
// (default 50), BENCH_CONCURRENCY (default 32).
import { performance } from 'node:perf_hooks';
import { api, BASE, KEY, launch, listOf, newGroup } from './lib.js';

const TOTAL = Number(process.env.BENCH_MESSAGES || 100_000);
const RUNS = Number(process.env.BENCH_RUNS || 200);
const BUDGET_MS = Number(process.env.BENCH_BUDGET_MS || 50);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY || 32);

async function seed(chatid) {
  const keys = [KEY];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  async function worker() {
    while (next < TOTAL) {
      const n = next;
      next += 1;
      const key = keys[0];
      const response = await fetch(`${BASE}/cgi-bin/webhook/send?key=${encodeURIComponent(key)}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          chatid,
          msgtype: n % 10 === 0 ? 'markdown' : 'text',
          ...(n % 10 === 0
            ? { markdown: { content: `**告警 #${n}**\n> 服务 <font color="warning">api-${n % 7}</font> 延迟升高` } }
            : { text: { content: `第 ${n} 条消息：部署完成，耗时 ${n % 97} 秒` } }),
        }),
      });
      const reply = await response.json();
      if (reply.errcode !== 0) {
        failures += 1;
        if (failures <= 3) console.error(`message ${n} refused: ${JSON.stringify(reply)} (is the server running with --limits off?)`);
      }
      if (n > 0 && n % 10_000 === 0) console.error(`  seeded ${n} messages (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { failures, seconds: (performance.now() - started) / 1000 };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function time(url) {
  const client = [];
  const server = [];
  for (let i = 0; i < RUNS; i += 1) {
    const start = performance.now();
    const response = await fetch(url);
    const body = await response.json();
    client.push(performance.now() - start);
    if (listOf(body, 'messages').length === 0) throw new Error(`${url} returned no message`);
    const timing = response.headers.get('server-timing');
    const dur = timing && /dur=([\d.]+)/.exec(timing);
    if (dur) server.push(Number(dur[1]));
  }
  client.sort((a, b) => a - b);
  server.sort((a, b) => a - b);
  return { client, server };
}

function summary(label, values) {
  if (!values.length) return `${label}: n/a`;
  const f = (v) => `${v.toFixed(2)} ms`;
  return `${label}: p50 ${f(percentile(values, 50))}, p95 ${f(percentile(values, 95))}, max ${f(values[values.length - 1])}`;
}

const chatid = await newGroup('十万条消息的群');
console.log(`seeding ${TOTAL} messages into ${chatid} ...`);
const seeded = await seed(chatid);
const counted = listOf(await api('/chats'), 'chats').find((c) => c.chatid === chatid);
console.log(`seeded in ${seeded.seconds.toFixed(1)} s, ${seeded.failures} refused; the chat reports ${counted && counted.message_count} messages`);

const first = `${BASE}/api/v1/messages?chatid=${encodeURIComponent(chatid)}&limit=50`;
await fetch(first); // warm-up
const plain = await time(first);
const viewed = await time(`${first}&as_user=zhangsan`);
console.log(summary('first page, client time (upper bound)', plain.client));
console.log(summary('first page, Server-Timing', plain.server));
console.log(summary('first page as_user=zhangsan, client time', viewed.client));

// For information (not the budget): the inbox itself, from following the chat's link (another
// chat being open) to its first page shown.
const other = await newGroup('另一个群');
const browser = await launch();
try {
  await browser.page.goto(`${BASE}/#/chat/${encodeURIComponent(other)}`);
  await browser.page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
  const shown = [];
  for (let i = 0; i < 5; i += 1) {
    await browser.page.evaluate((id) => { location.hash = `#/chat/${encodeURIComponent(id)}`; }, other);
    await browser.page.waitForSelector('#timeline .timeline-empty');
    shown.push(await browser.page.evaluate(async (id) => {
      const start = performance.now();
      location.hash = `#/chat/${encodeURIComponent(id)}`;
      while (document.querySelectorAll('#timeline .msg').length < 50) {
        await new Promise((resolve) => { requestAnimationFrame(resolve); });
      }
      return performance.now() - start;
    }, chatid));
  }
  shown.sort((a, b) => a - b);
  console.log(summary('inbox: chat link followed -> first 50 messages shown (Chromium)', shown));
} finally {
  await browser.close();
}

const p95 = percentile(plain.server.length ? plain.server : plain.client, 95);
const held = Number(counted && counted.message_count);
const ok = p95 < BUDGET_MS && seeded.failures === 0 && held >= TOTAL;
console.log(`RESULT: the first page of a chat holding ${held} messages takes p95 ${p95.toFixed(2)} ms `
  + `(${plain.server.length ? 'Server-Timing' : 'client-side, an upper bound of server time'}; budget ${BUDGET_MS} ms): `
  + `${ok ? 'PASS' : 'FAIL'}`);
process.exitCode = ok ? 0 : 1;
