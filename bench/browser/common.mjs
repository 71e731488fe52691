// Shared pieces of the browser benchmarks: headless Chromium through playwright-core, a small
// static file server on 127.0.0.1, and summary statistics.

import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Flags for Chromium as root on a machine whose only network is loopback. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const CHROMIUM_PATH = process.env.CHROMIUM || '/usr/bin/chromium';

/** Starts headless Chromium; playwright-core gives it a new empty profile directory. */
export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

/**
 * Serves files on 127.0.0.1:port. `mounts` maps URL prefixes to directories; `headers` are added
 * to every answer; `dynamic(url)` may answer a request itself by returning {type, body}.
 */
export async function startStatic({ port, mounts, headers = {}, dynamic }) {
  const server = createServer(async (request, response) => {
    const url = new URL(request.url, 'http://127.0.0.1');
    try {
      const made = dynamic ? await dynamic(url) : null;
      if (made) {
        response.writeHead(200, { 'content-type': made.type, 'cache-control': 'no-store', ...headers });
        response.end(made.body);
        return;
      }
      for (const [prefix, dir] of Object.entries(mounts)) {
        if (!url.pathname.startsWith(prefix)) continue;
        const path = normalize(join(dir, url.pathname.slice(prefix.length)));
        if (!path.startsWith(normalize(dir) + sep) && path !== normalize(dir)) break;
        const body = await readFile(path);
        response.writeHead(200, {
          'content-type': TYPES[extname(path)] || 'application/octet-stream',
          'cache-control': 'no-store',
          ...headers,
        });
        response.end(body);
        return;
      }
      response.writeHead(404).end();
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return server;
}

/** Returns `wanted` as a number, or a port free on 127.0.0.1 right now when it is 0. */
export async function freePort(wanted) {
  if (Number(wanted) !== 0) return Number(wanted);
  const probe = createTcpServer();
  await new Promise((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Nearest-rank quantile, q from 0 to 1. */
export function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1];
}

/** Reads `--name value` pairs from the command line into an object of strings. */
export function parseArgs(defaults) {
  const options = { ...defaults };
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i].replace(/^--/, '');
    if (!(name in defaults) || args[i + 1] === undefined) {
      console.error(`unknown or incomplete option ${args[i]}; known: ${Object.keys(defaults).join(', ')}`);
      process.exit(2);
    }
    options[name] = args[i + 1];
  }
  return options;
}
