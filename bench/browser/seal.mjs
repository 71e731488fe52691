// Seal latency in headless Chromium: cardseal (WebCrypto path, pure-Rust path, one-shot seal())
// beside the same JWE made with WebCrypto from plain JavaScript in the same page.
//
// Usage: node bench/browser/seal.mjs [--dist dist] [--port N (default: a free one)] [--loads 5]
//        [--runs 200] [--warmUp 30] [--sizes 2048,3072,4096] [--out FILE.json]
// Each load is a fresh browser context, once with each build of the module. Every sampled
// envelope is opened by npm jose with the page's private key, and its header and card payload
// are checked, so no variant is timed on a path that makes something unusable.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as jose from 'jose';
import { ROOT, freePort, launchBrowser, median, parseArgs, quantile, startStatic } from './common.mjs';

const options = parseArgs({
  dist: join(ROOT, 'dist'),
  port: '0',
  loads: '5',
  runs: '200',
  warmUp: '30',
  sizes: '2048,3072,4096',
  samples: '3',
  out: '',
});
const port = await freePort(options.port);
const sizes = options.sizes.split(',').map(Number);

// Cross-origin isolation gives performance.now() 5-microsecond precision instead of 100.
const server = await startStatic({
  port,
  mounts: { '/pkg/': join(options.dist, 'pkg'), '/': join(ROOT, 'bench/browser/seal') },
  headers: {
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-embedder-policy': 'require-corp',
    'cross-origin-resource-policy': 'same-origin',
  },
});

// The full build (with the pure-Rust fallback) and the frame's build, each in its own pages.
const BUILDS = ['full', 'webcrypto'];

const browser = await launchBrowser();
const version = browser.version();
const loads = [];
try {
  for (let load = 0; load < Number(options.loads); load += 1) {
    for (const build of BUILDS) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', (error) => errors.push(String(error)));
      await page.goto(`http://127.0.0.1:${port}/index.html?build=${build}`);
      await page.waitForFunction(() => window.benchReady === true, null, { timeout: 30_000 });
      const result = await page.evaluate(
        (config) => window.runBench(config),
        { sizes, warmUp: Number(options.warmUp), runs: Number(options.runs), samples: Number(options.samples) },
      );
      if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
      if (!result.crossOriginIsolated) throw new Error('page is not cross-origin isolated; timer too coarse');
      if (result.build !== build) throw new Error(`page loaded the ${result.build} build, not ${build}`);
      await verify(result);
      loads.push(result);
      await context.close();
    }
    process.stderr.write(`seal: load ${load + 1}/${options.loads} done\n`);
  }
} finally {
  await browser.close();
  server.close();
}

const report = { chromium: version, loads: Number(options.loads), runs: Number(options.runs), builds: [] };
console.log(`Chromium ${version}, ${options.loads} fresh loads per build x ${options.runs} timed runs per variant and key size`);
for (const build of BUILDS) {
  const pages = loads.filter((l) => l.build === build);
  const buildReport = { build, instantiate_ms: pages.map((l) => l.instantiateMs), sizes: [] };
  console.log(`\n${build} build: module instantiation median ${median(buildReport.instantiate_ms).toFixed(1)} ms`);
  for (const bits of sizes) buildReport.sizes.push(summarize(pages, bits));
  report.builds.push(buildReport);
}
if (options.out) await writeFile(options.out, `${JSON.stringify(report, null, 2)}\n`);

/** Pools one key size's runs over the pages and prints each variant against its baseline. */
function summarize(pages, bits) {
  const perVariant = {};
  for (const page of pages) {
    const entry = page.results.find((r) => r.bits === bits);
    for (const [name, times] of Object.entries(entry.times)) {
      (perVariant[name] ??= { all: [], loadMedians: [] }).all.push(...times);
      perVariant[name].loadMedians.push(median(times));
    }
  }
  const base = median(perVariant.plain_webcrypto.all);
  const baseImport = median(perVariant.plain_webcrypto_import.all);
  const sizeReport = { bits, variants: {} };
  for (const [name, { all, loadMedians }] of Object.entries(perVariant)) {
    const m = median(all);
    const importing = name === 'cardseal_seal_fn' || name === 'plain_webcrypto_import';
    const against = importing ? baseImport : base;
    sizeReport.variants[name] = {
      median_ms: m,
      p90_ms: quantile(all, 0.9),
      runs: all.length,
      load_medians_ms: loadMedians,
      ratio: m / against,
    };
    console.log(`rsa${bits} ${name.padEnd(24)} median ${m.toFixed(3)} ms  p90 ${quantile(all, 0.9).toFixed(3)} ms  ` +
      `x${(m / against).toFixed(2)} of ${importing ? 'plain_webcrypto_import' : 'plain_webcrypto'}  ` +
      `(load medians ${loadMedians.map((v) => v.toFixed(3)).join(' ')}; ${all.length} runs)`);
  }
  return sizeReport;
}

/** Opens every sampled envelope with jose and checks its header and card payload. */
async function verify(result) {
  for (const { bits, envelopes, privateJwk } of result.results) {
    const key = await jose.importJWK({ ...privateJwk, alg: 'RSA-OAEP-256' }, 'RSA-OAEP-256');
    for (const [name, list] of Object.entries(envelopes)) {
      for (const envelope of list) {
        const { plaintext, protectedHeader } = await jose.compactDecrypt(envelope, key, {
          keyManagementAlgorithms: ['RSA-OAEP-256'],
          contentEncryptionAlgorithms: ['A256GCM'],
        });
        const card = JSON.parse(new TextDecoder().decode(plaintext));
        const members = Object.keys(protectedHeader).sort().join(',');
        if (card.number !== '3530111333300000' || card.exp_year !== 2030 || card.cvc !== '123'
          || members !== 'alg,enc,iat,jti,kid,origin,sid,typ' || protectedHeader.kid !== `bench-${bits}`) {
          throw new Error(`rsa${bits} ${name}: envelope content differs from the card sealed`);
        }
      }
    }
  }
}
