// Starts the demo the way the README does (scripts/demo, here with --no-build, a temporary data
// directory and free ports) and a headless Chromium that records every request and response.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const RESULTS_DIR = join(ROOT, 'test-results');

const DEMO_START_TIMEOUT_MS = 120_000;
const DEMO_STOP_TIMEOUT_MS = 20_000;
const READY_LINE = 'cardseal demo is running.';

// Flags for Debian's Chromium as root in a closed network: without the background-networking flags
// it keeps trying to reach Google's hosts.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Starts scripts/demo and resolves once it prints that both servers are ready.
export async function startDemo() {
  const dataDir = mkdtempSync(join(tmpdir(), 'cardseal-e2e-'));
  const platformPort = await freePort();
  const shopPort = await freePort();

  const child = spawn(
    join(ROOT, 'scripts/demo'),
    ['--no-build', '--data-dir', dataDir, '--platform-port', String(platformPort), '--shop-port', String(shopPort)],
    // A process group of its own, so stop() can signal the group as a terminal does.
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' }, detached: true },
  );
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));

  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`scripts/demo not ready after ${DEMO_START_TIMEOUT_MS} ms:\n${output}`)), DEMO_START_TIMEOUT_MS);
    const poll = setInterval(() => {
      if (output.includes(READY_LINE)) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve();
      }
    }, 100);
    exited.then(({ code, signal }) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`scripts/demo exited (code ${code}, signal ${signal}) before it was ready:\n${output}`));
    });
  });

  const keyFile = join(dataDir, 'demo-shop.json');
  return {
    dataDir,
    keyFile,
    shopUrl: `http://127.0.0.1:${shopPort}`,
    platformUrl: `http://127.0.0.1:${platformPort}`,
    shopPort,
    platformPort,
    output: () => output,
    shopLog: () => readFileSync(join(dataDir, 'logs/shop.log'), 'utf8'),
    platformLog: () => readFileSync(join(dataDir, 'logs/platform.log'), 'utf8'),
    apiKey: () => JSON.parse(readFileSync(keyFile, 'utf8')).api_key,

    // Sends Ctrl-C as a terminal does, SIGINT to the whole process group of scripts/demo, and
    // resolves with how scripts/demo exited.
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(-child.pid, 'SIGINT');
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), DEMO_STOP_TIMEOUT_MS);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },

    removeDataDir() {
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// Launches Chromium with a fresh profile directory and records the traffic of all its pages and
// frames: every request (URL, headers, body) and every response (status, headers, body).
export async function startBrowser({ locale = 'ja-JP' } = {}) {
  const profileDir = mkdtempSync(join(tmpdir(), 'cardseal-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    locale,
    viewport: { width: 1280, height: 900 },
  });

  const traffic = [];
  const pendingBodies = [];
  context.on('request', (request) => {
    traffic.push({
      kind: 'request',
      method: request.method(),
      url: request.url(),
      headers: JSON.stringify(request.headers()),
      body: request.postData() ?? '',
    });
  });
  context.on('response', (response) => {
    const entry = { kind: 'response', status: response.status(), url: response.url(), headers: JSON.stringify(response.headers()), body: '' };
    traffic.push(entry);
    pendingBodies.push(
      response
        .body()
        .then((body) => {
          entry.body = body.toString('latin1') + '\n' + body.toString('utf8');
        })
        .catch(() => {
          // Redirects and aborted navigations have no body to read.
        }),
    );
  });

  return {
    context,
    traffic,
    // Waits for all response bodies that are still being read.
    async settled() {
      await Promise.all(pendingBodies);
    },
    async close() {
      await context.close();
      rmSync(profileDir, { recursive: true, force: true });
    },
  };
}
