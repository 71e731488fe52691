// Time from the hosted frame's navigation start to an interactive card form, in headless
// Chromium, against the real cardseal-server serving dist/.
//
// Usage: node bench/browser/frame.mjs [--server target/release/cardseal-server] [--dist dist]
//        [--loads 25] [--platformPort N] [--shopPort N] [--out FILE.json] (ports: free ones by default)
//
// A shop page on its own origin includes the embed script (with its SRI hash) and mounts the
// form, as a shop does. "Interactive" is the frame's `ready` message: it is posted after the wasm
// module, the key set and the session have loaded and the form is mounted with its handlers.
// The frame's navigation start is its performance.timeOrigin; the ready time is read in the
// parent as performance.timeOrigin + performance.now(). Both are on the same wall-clock scale.
// Every load is a new browser context (empty cache) and a new checkout session.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, freePort, launchBrowser, median, parseArgs, quantile, startStatic } from './common.mjs';

const options = parseArgs({
  server: join(ROOT, 'target/release/cardseal-server'),
  dist: join(ROOT, 'dist'),
  loads: '25',
  platformPort: '0',
  shopPort: '0',
  out: '',
});
const platformPort = await freePort(options.platformPort);
let shopPort = await freePort(options.shopPort);
while (shopPort === platformPort) shopPort = await freePort(options.shopPort);
const platform = `http://127.0.0.1:${platformPort}`;
const shopOrigin = `http://127.0.0.1:${shopPort}`;
const integrity = readFileSync(join(options.dist, 'embed/cardseal.js.sri'), 'utf8').trim();

// The service on its own data directory, with one shop registered for the shop origin.
const dataDir = mkdtempSync(join(tmpdir(), 'cardseal-bench-frame-'));
const shop = JSON.parse(execFileSync(options.server,
  ['--data-dir', dataDir, 'shops', 'add', '--name', 'bench shop', '--origin', shopOrigin, '--json'],
  { encoding: 'utf8' }));
const log = openSync(join(dataDir, 'server.log'), 'a');
const service = spawn(options.server,
  ['--data-dir', dataDir, 'serve', '--listen', `127.0.0.1:${platformPort}`, '--assets', options.dist],
  { stdio: ['ignore', log, log] });
await waitReady();

const parentPage = (sessionId) => `<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>bench shop</title>
<script src="${platform}/embed/cardseal.js" integrity="${integrity}" crossorigin="anonymous"></script>
</head><body><div id="card"></div>
<script type="module">
  const card = CardSeal.mount(document.getElementById('card'), { sessionId: ${JSON.stringify(sessionId)}, locale: 'ja' });
  card.on('ready', () => { window.readyAt = performance.timeOrigin + performance.now(); });
  card.on('error', (error) => { window.frameError = error.code; });
</script></body></html>`;
const sessions = new Map();
const shopServer = await startStatic({
  port: shopPort,
  mounts: {},
  dynamic: (url) => (url.pathname === '/' ? { type: 'text/html; charset=utf-8', body: parentPage(sessions.get(url.searchParams.get('load'))) } : null),
});

// Runs in the frame before its own scripts: notes when the wasm module is instantiated and when
// the first input appears, to show where the time to `ready` goes. It changes nothing else.
function markFrame() {
  if (!location.pathname.startsWith('/frame/')) return;
  const marks = {};
  window.cardsealBenchMarks = marks;
  for (const name of ['instantiateStreaming', 'instantiate']) {
    const original = WebAssembly[name];
    WebAssembly[name] = async function (...args) {
      marks.wasmStart ??= performance.now();
      const result = await original.apply(this, args);
      marks.wasmEnd ??= performance.now();
      return result;
    };
  }
  document.addEventListener('DOMContentLoaded', () => { marks.domContentLoaded = performance.now(); });
  new MutationObserver((_, observer) => {
    if (document.querySelector('input')) {
      marks.formInDom = performance.now();
      observer.disconnect();
    }
  }).observe(document, { subtree: true, childList: true });
}

const browser = await launchBrowser();
const version = browser.version();
const loads = [];
try {
  for (let load = 0; load < Number(options.loads); load += 1) {
    sessions.set(String(load), await createSession());
    const context = await browser.newContext();
    await context.addInitScript(markFrame);
    const page = await context.newPage();
    await page.goto(`${shopOrigin}/?load=${load}`);
    await page.waitForFunction(() => window.readyAt || window.frameError, null, { timeout: 30_000 });
    const parent = await page.evaluate(() => ({ readyAt: window.readyAt, frameError: window.frameError, timeOrigin: performance.timeOrigin }));
    if (parent.frameError) throw new Error(`frame reported ${parent.frameError}`);
    const frame = page.frames().find((f) => f.url().startsWith(`${platform}/frame/`));
    const inFrame = await frame.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const number = document.querySelector('input[autocomplete="cc-number"]');
      return {
        timeOrigin: performance.timeOrigin,
        marks: window.cardsealBenchMarks ?? {},
        numberInput: Boolean(number) && !number.disabled,
        navigation: { responseEnd: nav.responseEnd, domInteractive: nav.domInteractive, transferSize: nav.transferSize },
        resources: performance.getEntriesByType('resource').map((r) => ({
          name: new URL(r.name).pathname.replace(/cs_[A-Za-z0-9]+/, '{id}'), start: r.startTime, end: r.responseEnd, transferSize: r.transferSize,
        })),
      };
    });
    if (!inFrame.numberInput) throw new Error('ready was posted but the card number input is missing');
    loads.push({
      frame_ready_ms: parent.readyAt - inFrame.timeOrigin,
      page_ready_ms: parent.readyAt - parent.timeOrigin,
      frame_start_ms: inFrame.timeOrigin - parent.timeOrigin,
      marks: inFrame.marks,
      navigation: inFrame.navigation,
      resources: inFrame.resources,
    });
    await context.close();
  }
} finally {
  await browser.close();
  shopServer.close();
  service.kill('SIGTERM');
  await new Promise((resolve) => service.once('exit', resolve));
  rmSync(dataDir, { recursive: true, force: true });
}

const pick = (key) => loads.map((l) => l[key]);
const summary = (values) => ({ median: median(values), p90: quantile(values, 0.9), min: Math.min(...values), max: Math.max(...values) });
const report = {
  chromium: version,
  loads: loads.length,
  frame_ready_ms: summary(pick('frame_ready_ms')),
  page_ready_ms: summary(pick('page_ready_ms')),
  frame_start_ms: summary(pick('frame_start_ms')),
  resource_end_ms: {},
  frame_transfer_bytes: median(loads.map((l) => l.navigation.transferSize + l.resources.reduce((sum, r) => sum + r.transferSize, 0))),
  raw: loads,
};
for (const name of new Set(loads.flatMap((l) => l.resources.map((r) => r.name)))) {
  report.resource_end_ms[name] = median(loads.map((l) => l.resources.find((r) => r.name === name)?.end).filter((v) => v !== undefined));
}
report.resource_end_ms['(frame document)'] = median(loads.map((l) => l.navigation.responseEnd));
report.steps_ms = {};
for (const name of ['domContentLoaded', 'wasmStart', 'wasmEnd', 'formInDom']) {
  const values = loads.map((l) => l.marks[name]).filter((v) => v !== undefined);
  if (values.length) report.steps_ms[name] = median(values);
}

const f = (s) => `median ${s.median.toFixed(1)} ms, p90 ${s.p90.toFixed(1)}, min ${s.min.toFixed(1)}, max ${s.max.toFixed(1)}`;
console.log(`Chromium ${version}, ${loads.length} fresh loads`);
console.log(`frame navigation start -> form ready: ${f(report.frame_ready_ms)}`);
console.log(`shop page navigation start -> form ready: ${f(report.page_ready_ms)}`);
console.log(`shop page navigation start -> frame navigation start: ${f(report.frame_start_ms)}`);
console.log(`bytes the frame fetched (transferSize, as served): ${report.frame_transfer_bytes}`);
for (const [name, at] of Object.entries(report.steps_ms)) {
  console.log(`  ${name.padEnd(40)} at ${at.toFixed(1)} ms after frame navigation start (median)`);
}
for (const [name, end] of Object.entries(report.resource_end_ms)) {
  console.log(`  ${name.padEnd(40)} loaded at ${end.toFixed(1)} ms after frame navigation start (median)`);
}
if (options.out) await writeFile(options.out, `${JSON.stringify(report, null, 2)}\n`);

async function waitReady() {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${platform}/readyz`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('cardseal-server did not become ready');
}

async function createSession() {
  const response = await fetch(`${platform}/v1/checkout-sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${shop.api_key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ amount: 1200, currency: 'JPY', order_reference: 'bench' }),
  });
  if (response.status !== 201) throw new Error(`creating a session: ${response.status}`);
  return (await response.json()).id;
}
