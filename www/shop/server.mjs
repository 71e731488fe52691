#!/usr/bin/env node
// The cardseal demo shop server: a small storefront on its own origin that talks to the platform only
// through its public HTTP API. Run `node www/shop/server.mjs --help` for the options.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { createShop } from './lib/app.mjs';
import { createLogger } from './lib/log.mjs';
import { PlatformClient } from './lib/platform.mjs';

const HELP = `Usage: node www/shop/server.mjs [options]

Options (each also read from the environment variable in brackets):
  --listen HOST:PORT            address to listen on [SHOP_LISTEN] (default 127.0.0.1:8081)
  --platform URL                base URL of the cardseal platform [CARDSEAL_PLATFORM_URL]
                                (default http://127.0.0.1:8080)
  --api-key-file PATH           JSON file with the shop's API key as "api_key", as printed by
                                \`cardseal-server shops add --json\` [CARDSEAL_SHOP_API_KEY_FILE] (required)
  --embed-integrity VALUE       SRI hash of the platform's embed script, "sha384-..."
                                [CARDSEAL_EMBED_INTEGRITY]
  --embed-integrity-file PATH   file containing that hash (dist/embed/cardseal.js.sri)
                                [CARDSEAL_EMBED_INTEGRITY_FILE]; one of the two is required
  --log-file PATH               also append the JSON log lines to this file [SHOP_LOG_FILE]
  --help                        print this help
`;

function fail(message) {
  process.stderr.write(`shop: ${message}\n`);
  process.exit(2);
}

function readOptions() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        listen: { type: 'string' },
        platform: { type: 'string' },
        'api-key-file': { type: 'string' },
        'embed-integrity': { type: 'string' },
        'embed-integrity-file': { type: 'string' },
        'log-file': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    fail(`${error.message}\n\n${HELP}`);
  }
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }

  const env = process.env;
  return {
    listen: values.listen ?? env.SHOP_LISTEN ?? '127.0.0.1:8081',
    platform: values.platform ?? env.CARDSEAL_PLATFORM_URL ?? 'http://127.0.0.1:8080',
    apiKeyFile: values['api-key-file'] ?? env.CARDSEAL_SHOP_API_KEY_FILE,
    embedIntegrity: values['embed-integrity'] ?? env.CARDSEAL_EMBED_INTEGRITY,
    embedIntegrityFile: values['embed-integrity-file'] ?? env.CARDSEAL_EMBED_INTEGRITY_FILE,
    logFile: values['log-file'] ?? env.SHOP_LOG_FILE,
  };
}

function readApiKey(path) {
  if (!path) {
    fail('missing --api-key-file (the JSON printed by `cardseal-server shops add --json`)');
  }

  let parsed;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    fail(`cannot read the API key file ${path}: ${error.message}`);
  }
  if (typeof parsed?.api_key !== 'string' || parsed.api_key === '') {
    fail(`the API key file ${path} has no "api_key" string`);
  }
  return parsed.api_key;
}

function readIntegrity(options) {
  let value = options.embedIntegrity;
  if (!value && options.embedIntegrityFile) {
    try {
      value = readFileSync(options.embedIntegrityFile, 'utf8').trim();
    } catch (error) {
      fail(`cannot read the embed script's SRI hash from ${options.embedIntegrityFile}: ${error.message}`);
    }
  }
  if (!value || !/^sha(256|384|512)-[A-Za-z0-9+/]+=*$/.test(value)) {
    fail('missing or invalid SRI hash of the embed script (--embed-integrity or --embed-integrity-file)');
  }
  return value;
}

function parseListen(listen) {
  const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(listen);
  if (match === null) {
    fail(`invalid --listen ${listen}: expected HOST:PORT`);
  }
  return { host: match[1], port: Number(match[2]) };
}

function main() {
  const options = readOptions();
  const { host, port } = parseListen(options.listen);
  const apiKey = readApiKey(options.apiKeyFile);
  const embedIntegrity = readIntegrity(options);
  const log = createLogger({ file: options.logFile });

  const shopOrigin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const platform = new PlatformClient({ baseUrl: options.platform, apiKey });
  const publicDir = join(dirname(fileURLToPath(import.meta.url)), 'public');
  const handle = createShop({ platform, embedIntegrity, shopOrigin, publicDir, log });

  const server = createServer(handle);
  server.on('error', (error) => {
    log.error('shop_listen_failed', { listen: options.listen, error: error.message });
    process.exit(1);
  });
  server.listen(port, host, () => {
    log.info('shop_started', { url: `${shopOrigin}/`, platform: platform.baseUrl });
  });

  function stop(signal) {
    log.info('shop_stopping', { signal });
    server.close(() => process.exit(0));
    server.closeAllConnections();
  }
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main();
