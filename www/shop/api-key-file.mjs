#!/usr/bin/env node
// Manages the demo shop's API key file for scripts/demo. The file keeps the output of
// `cardseal-server shops add --json` (or `shops rotate-key --json`) plus the shop origin it was
// registered for, readable by its owner only. The key never appears on a command line or in output.
//
//   check FILE ORIGIN        prints valid | missing | expiring | other-origin
//   save FILE ORIGIN         reads the CLI's JSON on stdin and writes FILE (mode 0600)
//   shop-id FILE             prints the shop id
//   probe FILE PLATFORM_URL  prints the HTTP status of an authenticated request (404 means the key
//                            works, 401 means the platform rejects it)
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

// Rotate a day before the key expires, so a demo started now keeps a valid key for at least a day.
const ROTATE_BEFORE_MS = 24 * 60 * 60 * 1000;
const PROBE_TIMEOUT_MS = 10_000;

function fail(message) {
  process.stderr.write(`api-key-file: ${message}\n`);
  process.exit(1);
}

function readKeyFile(path) {
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error.code === 'ENOENT') {
      return null;
    }
    fail(`cannot read ${path}: ${error.message}`);
  }

  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function check(path, origin) {
  const saved = readKeyFile(path);
  if (saved === null || typeof saved.api_key !== 'string' || typeof saved.shop_id !== 'string') {
    return 'missing';
  }
  if (saved.origin !== origin) {
    return 'other-origin';
  }

  const expiresAt = Date.parse(saved.expires_at);
  if (Number.isNaN(expiresAt) || expiresAt - Date.now() < ROTATE_BEFORE_MS) {
    return 'expiring';
  }
  return 'valid';
}

async function save(path, origin) {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }

  let output;
  try {
    output = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    fail('the output of cardseal-server is not JSON');
  }
  const previous = readKeyFile(path);
  const shopId = output.shop_id ?? previous?.shop_id;
  if (typeof output.api_key !== 'string' || typeof shopId !== 'string') {
    fail('the output of cardseal-server has no "api_key" or "shop_id"');
  }

  // Written to a temporary file first so an interrupted run never leaves half a key file.
  const record = { shop_id: shopId, api_key: output.api_key, expires_at: output.expires_at, origin };
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, JSON.stringify(record, null, 2) + '\n', { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
  process.stdout.write(shopId + '\n');
}

async function probe(path, platformUrl) {
  const saved = readKeyFile(path);
  if (saved === null) {
    fail(`no API key in ${path}`);
  }

  // An authenticated read of a payment that cannot exist: 404 once the key is accepted.
  const response = await fetch(new URL('/v1/payments/pay_demo_key_probe', platformUrl), {
    headers: { Authorization: `Bearer ${saved.api_key}` },
    signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
  });
  process.stdout.write(`${response.status}\n`);
}

const [command, path, argument] = process.argv.slice(2);
if (!path) {
  fail('usage: api-key-file.mjs check|save|shop-id|probe FILE [ORIGIN|PLATFORM_URL]');
}
switch (command) {
  case 'check':
    process.stdout.write(check(path, argument) + '\n');
    break;
  case 'save':
    await save(path, argument);
    break;
  case 'shop-id': {
    const saved = readKeyFile(path);
    if (typeof saved?.shop_id !== 'string') {
      fail(`no shop id in ${path}`);
    }
    process.stdout.write(saved.shop_id + '\n');
    break;
  }
  case 'probe':
    await probe(path, argument);
    break;
  default:
    fail(`unknown command ${command}`);
}
