// Where a seal's time goes: V8's sampling profiler (through the Chrome DevTools Protocol) over
// many seals of one variant, summed by function (self time), for cardseal beside plain WebCrypto.
//
// Usage: node bench/browser/seal-profile.mjs [--bits 2048] [--count 3000] [--build webcrypto|full]
//        [--variants plain_webcrypto,cardseal_webcrypto] [--interval 50] [--top 25]
// Samples are taken every `interval` microseconds on the page's main thread only; WebCrypto's
// work on Chromium's worker threads shows up as "(idle)" time on the main thread while a seal
// waits. Sampling slows everything down somewhat, so compare the variants, not absolute times.
//
// Then, in a fresh page without the profiler, it counts the calls per seal of the browser
// functions that the wasm glue and plain JavaScript use (strings, reflection, randomness,
// WebCrypto, microtasks), and times the two most frequent ones in isolation.

import { join } from 'node:path';
import { ROOT, freePort, launchBrowser, parseArgs, startStatic } from './common.mjs';

const options = parseArgs({
  bits: '2048',
  count: '3000',
  variants: 'plain_webcrypto,cardseal_webcrypto',
  build: 'webcrypto',
  interval: '50',
  top: '25',
  port: '0',
  dist: join(ROOT, 'dist'),
});
const port = await freePort(options.port);

const server = await startStatic({
  port,
  mounts: { '/pkg/': join(options.dist, 'pkg'), '/': join(ROOT, 'bench/browser/seal') },
  headers: {
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-embedder-policy': 'require-corp',
    'cross-origin-resource-policy': 'same-origin',
  },
});
const browser = await launchBrowser();
try {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`http://127.0.0.1:${port}/index.html?build=${options.build}`);
  await page.waitForFunction(() => window.benchReady === true);
  await page.evaluate((bits) => window.prepareVariants(bits), Number(options.bits));
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: Number(options.interval) });

  for (const name of options.variants.split(',')) {
    const count = Number(options.count);
    await page.evaluate(([n, c]) => window.runVariant(n, c), [name, 200]);
    await cdp.send('Profiler.start');
    const perSeal = await page.evaluate(([n, c]) => window.runVariant(n, c), [name, count]);
    const { profile } = await cdp.send('Profiler.stop');
    report(name, perSeal, profile, count);
  }

  await countCalls(await browser.newContext());
} finally {
  await browser.close();
  server.close();
}

/** Wraps browser functions before the page's scripts run, counting calls in `benchCalls`. */
function wrapForCounting() {
  window.benchCalls = {};
  const wrap = (owner, name, label) => {
    const original = owner[name];
    owner[name] = function (...args) {
      window.benchCalls[label] = (window.benchCalls[label] ?? 0) + 1;
      return original.apply(this, args);
    };
  };
  wrap(Crypto.prototype, 'getRandomValues', 'crypto.getRandomValues');
  wrap(TextDecoder.prototype, 'decode', 'TextDecoder.decode');
  wrap(TextEncoder.prototype, 'encode', 'TextEncoder.encode');
  wrap(TextEncoder.prototype, 'encodeInto', 'TextEncoder.encodeInto');
  wrap(Reflect, 'get', 'Reflect.get');
  wrap(Reflect, 'set', 'Reflect.set');
  wrap(SubtleCrypto.prototype, 'encrypt', 'subtle.encrypt');
  wrap(SubtleCrypto.prototype, 'importKey', 'subtle.importKey');
  wrap(window, 'queueMicrotask', 'queueMicrotask');
}

/** Times one TextDecoder.decode of a short string from a memory view, and one Reflect.set + get. */
function timePrimitives() {
  const RUNS = 100_000;
  const memory = new Uint8Array(1 << 16);
  const text = 'additionalData';
  new TextEncoder().encodeInto(text, memory.subarray(100));
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });
  let sink = 0;

  let start = performance.now();
  for (let i = 0; i < RUNS; i += 1) sink += decoder.decode(memory.subarray(100, 100 + text.length)).length;
  const decodeUs = ((performance.now() - start) * 1000) / RUNS;

  const target = {};
  start = performance.now();
  for (let i = 0; i < RUNS; i += 1) {
    Reflect.set(target, 'name', i);
    sink += Reflect.get(target, 'name');
  }
  const reflectUs = ((performance.now() - start) * 1000) / RUNS;
  return { decodeUs, reflectUs, sink };
}

async function countCalls(context) {
  await context.addInitScript(wrapForCounting);
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${port}/index.html?build=${options.build}`);
  await page.waitForFunction(() => window.benchReady === true);
  await page.evaluate((bits) => window.prepareVariants(bits), Number(options.bits));

  const SEALS = 100;
  console.log(`\ncalls per seal (rsa${options.bits}, ${options.build} build, average of ${SEALS} seals):`);
  for (const name of options.variants.split(',')) {
    await page.evaluate(([n]) => window.runVariant(n, 5), [name]);
    const calls = await page.evaluate(async ([n, c]) => {
      window.benchCalls = {};
      await window.runVariant(n, c);
      return window.benchCalls;
    }, [name, SEALS]);
    const list = Object.entries(calls).map(([label, total]) => `${label} ${total / SEALS}`).join(', ');
    console.log(`  ${name}: ${list}`);
  }

  const samples = [];
  for (let i = 0; i < 3; i += 1) samples.push(await page.evaluate(timePrimitives));
  console.log('one TextDecoder.decode of a 14-byte string: ' +
    `${samples.map((s) => s.decodeUs.toFixed(2)).join(' / ')} us; one Reflect.set + Reflect.get: ` +
    `${samples.map((s) => s.reflectUs.toFixed(2)).join(' / ')} us (three runs of 100,000)`);
}

/** Prints self time per function, in microseconds per seal. */
function report(name, perSeal, profile, count) {
  const intervals = profile.timeDeltas;
  const sampleTime = new Map();
  profile.samples.forEach((id, index) => {
    sampleTime.set(id, (sampleTime.get(id) ?? 0) + (intervals[index + 1] ?? intervals[index] ?? 0));
  });
  const byFunction = new Map();
  for (const node of profile.nodes) {
    const frame = node.callFrame;
    const where = frame.url ? frame.url.split('/').slice(-2).join('/') : '';
    const key = `${frame.functionName || '(anonymous)'} ${where}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + (sampleTime.get(node.id) ?? 0));
  }
  const total = [...byFunction.values()].reduce((a, b) => a + b, 0);
  console.log(`\n${name}, rsa${options.bits}: ${(perSeal * 1000).toFixed(1)} us per seal (wall); ` +
    `profile ${(total / count).toFixed(1)} us per seal`);
  const rows = [...byFunction.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(options.top));
  for (const [fn, us] of rows) console.log(`  ${(us / count).toFixed(2).padStart(8)} us  ${fn}`);
}
