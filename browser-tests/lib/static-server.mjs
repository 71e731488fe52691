// A small static file server on 127.0.0.1 for the browser tests: the widget test page with the
// built library, and the shop and third-party pages of the frame tests. Every HTML response
// carries a strict Content-Security-Policy, so the tests also prove the pages need no inline
// script or style.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.ts': 'text/plain; charset=utf-8',
};

/** Returns the CSP of the test pages: same-origin script, style and connections, plus the given sources. */
export function strictCsp({ scriptSrc = [], frameSrc = [] } = {}) {
  return [
    "default-src 'none'",
    `script-src 'self' 'wasm-unsafe-eval' ${scriptSrc.join(' ')}`.trim(),
    "style-src 'self'",
    "connect-src 'self'",
    `frame-src ${frameSrc.length > 0 ? frameSrc.join(' ') : "'none'"}`,
    "base-uri 'none'",
  ].join('; ');
}

/**
 * Starts a server for `mounts` ({'/pkg/': '/abs/dist/pkg', ...}) on a free port of 127.0.0.1.
 * Returns {origin, port, close}. `csp` is the Content-Security-Policy header of HTML responses.
 */
export async function startStaticServer({ mounts, csp = strictCsp() }) {
  const server = createServer(async (request, response) => {
    const path = decodeURIComponent(new URL(request.url, 'http://127.0.0.1').pathname);
    const prefix = Object.keys(mounts).find((mount) => path.startsWith(mount));
    if (!prefix || path.includes('..')) {
      response.writeHead(404).end();
      return;
    }
    const file = normalize(join(mounts[prefix], path.slice(prefix.length)));
    try {
      const body = await readFile(file);
      const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
      const headers = { 'content-type': type, 'cache-control': 'no-store' };
      if (type.startsWith('text/html')) headers['content-security-policy'] = typeof csp === 'function' ? csp() : csp;
      response.writeHead(200, headers).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
