// Request handling of the demo shop server: the product page, order creation (which opens a checkout
// session at the platform), the checkout page, and the payment relay.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { CURRENCY, MAX_QUANTITY, orderAmount, parseQuantity } from './catalog.mjs';
import { OrderBook } from './orders.mjs';
import { checkoutPage, messagePage, productPage } from './pages.mjs';
import { TEXT, fill, pickLocale } from './text.mjs';

const MAX_FORM_BYTES = 4 * 1024;
const MAX_JSON_BYTES = 64 * 1024;
// A compact JWE of a card payload is about 1 to 2 KiB with a 4096-bit key, so anything far larger is
// not an envelope.
const MAX_ENVELOPE_CHARS = 16 * 1024;
const COMPACT_JWE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const STATIC_NAME = /^[a-z0-9-]+\.(css|js|svg)$/;
// The header values this format allows (FORMAT.md, "Protected header"). Other values are logged as
// "unexpected" rather than copied, because a hostile page can put anything in a header.
const EXPECTED_HEADER = { alg: 'RSA-OAEP-256', enc: 'A256GCM', typ: 'cardseal-v1+jwe' };
const STATIC_TYPES = {
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  svg: 'image/svg+xml',
};

class HttpError extends Error {
  constructor(status, code) {
    super(code);
    this.status = status;
    this.code = code;
  }
}

export function createShop({ platform, embedIntegrity, shopOrigin, publicDir, log }) {
  const orders = new OrderBook();
  const platformOrigin = new URL(platform.baseUrl).origin;

  // Besides the shop's own scripts only the platform's embed script may run. The card frame is the
  // only frame, and the page connects only to its own server.
  const contentSecurityPolicy = [
    "default-src 'none'",
    `script-src 'self' ${platformOrigin}/embed/cardseal.js`,
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    `frame-src ${platformOrigin}`,
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');

  function sendPage(res, status, body) {
    res.writeHead(status, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': contentSecurityPolicy,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Referrer-Policy': 'strict-origin-when-cross-origin',
    });
    res.end(body);
  }

  function sendJson(res, status, value) {
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(JSON.stringify(value));
  }

  // Rejects requests sent by pages of other origins (cross-site request forgery). Browsers send
  // Origin on every POST, so a request without it does not come from a page and is let through.
  function checkOrigin(req) {
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== shopOrigin) {
      throw new HttpError(403, 'origin_not_allowed');
    }
  }

  async function showProduct(res, locale) {
    sendPage(res, 200, productPage({ locale, shopOrigin, platformOrigin }));
  }

  async function createOrder(req, res) {
    checkOrigin(req);
    const form = new URLSearchParams(await readBody(req, MAX_FORM_BYTES));
    const locale = pickLocale(form.get('lang'));
    const text = TEXT[locale];

    // Only the validated fields are logged: the raw form could contain anything a page or a
    // script put into it, card digits included.
    const quantity = parseQuantity(form.get('quantity'));
    if (quantity === null) {
      log.info('order_form_rejected', { reason: 'invalid_quantity', locale });
      sendPage(res, 400, messagePage({ locale, title: text.badRequestTitle, message: fill(text.badRequest, { max: MAX_QUANTITY }) }));
      return;
    }

    log.info('order_form_received', { quantity, locale });

    const order = orders.create({ quantity, amount: orderAmount(quantity), currency: CURRENCY });
    let exchange;
    try {
      exchange = await platform.createCheckoutSession({
        amount: order.amount,
        currency: order.currency,
        orderReference: order.reference,
      });
    } catch (error) {
      log.error('checkout_session_failed', { order_id: order.id, error: error.message });
      orders.delete(order.id);
      sendPage(res, 503, messagePage({ locale, title: text.unavailableTitle, message: text.unavailable }));
      return;
    }

    const { status, body } = exchange.response;
    log.info('platform_response_received', { order_id: order.id, request: 'create_checkout_session', status, body });
    if (status !== 201 || typeof body?.id !== 'string') {
      log.error('checkout_session_rejected', { order_id: order.id, status, code: body?.code ?? null });
      orders.delete(order.id);
      sendPage(res, 503, messagePage({ locale, title: text.unavailableTitle, message: text.unavailable }));
      return;
    }

    orders.attachSession(order, body);
    log.info('order_created', { order_id: order.id, reference: order.reference, session_id: order.sessionId, amount: order.amount });
    res.writeHead(303, { Location: `/orders/${order.id}?lang=${locale}`, 'Cache-Control': 'no-store' });
    res.end();
  }

  async function showCheckout(res, orderId, locale) {
    const order = orders.get(orderId);
    if (order === null) {
      const text = TEXT[locale];
      sendPage(res, 404, messagePage({ locale, title: text.notFoundTitle, message: text.notFound, path: `/orders/${orderId}` }));
      return;
    }

    sendPage(res, 200, checkoutPage({ locale, order, platformOrigin, embedIntegrity }));
  }

  // Relays the envelope from the checkout page to the platform and returns the outcome with the
  // exchange as the shop server saw it, for the page's panel.
  async function relayPayment(req, res, orderId) {
    checkOrigin(req);
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
      throw new HttpError(415, 'json_required');
    }
    const raw = await readBody(req, MAX_JSON_BYTES);

    // The body is logged only once it is known to be an envelope, and then only as its length and
    // checked header values: a hostile or broken page may post card digits here.
    let envelope;
    try {
      envelope = JSON.parse(raw).envelope;
    } catch {
      log.info('payment_request_rejected', { reason: 'invalid_json', body: 'malformed' });
      throw new HttpError(400, 'invalid_json');
    }
    if (typeof envelope !== 'string' || envelope.length > MAX_ENVELOPE_CHARS || !COMPACT_JWE.test(envelope)) {
      log.info('payment_request_rejected', { reason: 'invalid_envelope', body: 'malformed' });
      throw new HttpError(400, 'invalid_envelope');
    }
    // The order id comes from the URL, so an unknown one is not logged.
    const order = orders.get(orderId);
    if (order === null) {
      log.info('payment_request_rejected', { reason: 'order_not_found' });
      throw new HttpError(404, 'order_not_found');
    }
    log.info('payment_request_received', { order_id: order.id, envelope: describeEnvelope(envelope, { sessionId: order.sessionId, shopOrigin }) });

    // The same envelope sent twice (a double click, a retried request) gets the same key, so the
    // platform returns the first result the second time instead of authorizing again.
    const envelopeDigest = createHash('sha256').update(envelope).digest('hex').slice(0, 32);
    const idempotencyKey = `${order.id}.${envelopeDigest}`;

    let exchange;
    try {
      exchange = await platform.createPayment({ sessionId: order.sessionId, envelope, idempotencyKey });
    } catch (error) {
      log.error('payment_relay_failed', { order_id: order.id, session_id: order.sessionId, error: error.message });
      sendJson(res, 502, { outcome: 'error', code: 'platform_unavailable' });
      return;
    }

    const { status, body } = exchange.response;
    log.info('platform_response_received', { order_id: order.id, request: 'create_payment', status, body });
    const result = classifyPayment(status, body);
    if (result.outcome === 'approved') {
      orders.markPaid(order, result.payment.id);
    }
    if (status === 401) {
      log.error('api_key_rejected', { order_id: order.id, hint: 'the shop API key is invalid or expired; restart scripts/demo to rotate it' });
    }
    log.info('payment_outcome', { order_id: order.id, session_id: order.sessionId, outcome: result.outcome, code: result.code ?? null });

    sendJson(res, 200, { ...result, exchange: { sent: exchange.request, received: exchange.response } });
  }

  async function serveStatic(res, name) {
    const match = STATIC_NAME.exec(name);
    if (match === null) {
      throw new HttpError(404, 'not_found');
    }

    let content;
    try {
      content = await readFile(join(publicDir, name));
    } catch {
      throw new HttpError(404, 'not_found');
    }
    res.writeHead(200, {
      'Content-Type': STATIC_TYPES[match[1]],
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(content);
  }

  async function route(req, res) {
    const url = new URL(req.url, shopOrigin);
    const locale = pickLocale(url.searchParams.get('lang'));
    const path = url.pathname;
    const method = req.method;

    if (method === 'GET' && path === '/') {
      return showProduct(res, locale);
    }
    if (method === 'POST' && path === '/orders') {
      return createOrder(req, res);
    }
    let match = /^\/orders\/([A-Za-z0-9_-]{1,64})$/.exec(path);
    if (method === 'GET' && match) {
      return showCheckout(res, match[1], locale);
    }
    match = /^\/api\/orders\/([A-Za-z0-9_-]{1,64})\/payments$/.exec(path);
    if (method === 'POST' && match) {
      return relayPayment(req, res, match[1]);
    }
    match = /^\/static\/([^/]+)$/.exec(path);
    if (method === 'GET' && match) {
      return serveStatic(res, match[1]);
    }
    if (method === 'GET' && path === '/healthz') {
      return sendJson(res, 200, { status: 'ok' });
    }

    const text = TEXT[locale];
    sendPage(res, 404, messagePage({ locale, title: text.notFoundTitle, message: text.notFound }));
  }

  return async function handle(req, res) {
    const started = process.hrtime.bigint();
    try {
      await route(req, res);
    } catch (error) {
      if (error instanceof HttpError) {
        sendJson(res, error.status, { outcome: 'error', code: error.code });
      } else {
        log.error('request_failed', { method: req.method, route: routeName(req), error: error.message });
        if (!res.headersSent) {
          sendJson(res, 500, { outcome: 'error', code: 'internal_error' });
        } else {
          res.destroy();
        }
      }
    }

    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    log.info('request', { method: req.method, route: routeName(req), status: res.statusCode, duration_ms: Math.round(elapsedMs * 10) / 10 });
  };
}

// Names the route of a request for the log. The raw URL is not logged, because its path and query
// are whatever the client sent.
const ROUTES = [
  ['/', /^\/$/],
  ['/orders', /^\/orders$/],
  ['/orders/:id', /^\/orders\/[^/]+$/],
  ['/api/orders/:id/payments', /^\/api\/orders\/[^/]+\/payments$/],
  ['/static/:name', /^\/static\/[^/]+$/],
  ['/healthz', /^\/healthz$/],
];

function routeName(req) {
  const path = (req.url ?? '').split('?', 1)[0];
  const found = ROUTES.find(([, pattern]) => pattern.test(path));
  return found ? found[0] : 'unknown';
}

// Describes an envelope for the log: its length and its protected header values, each either
// compared with what this shop expects or replaced by "unexpected". Nothing else of the envelope is
// logged, since the shop cannot check it.
export function describeEnvelope(envelope, { sessionId, shopOrigin }) {
  let header = {};
  try {
    const protectedHeader = envelope.split('.', 1)[0];
    const parsed = JSON.parse(Buffer.from(protectedHeader, 'base64url').toString('utf8'));
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      header = parsed;
    }
  } catch {
    return { length: envelope.length, header: 'malformed' };
  }

  const checked = {};
  for (const [name, expected] of Object.entries(EXPECTED_HEADER)) {
    checked[name] = header[name] === expected ? expected : 'unexpected';
  }
  checked.sid_matches_order = header.sid === sessionId;
  checked.origin_matches_shop = header.origin === shopOrigin;
  return { length: envelope.length, header: checked };
}

// Maps the platform's response to POST /v1/payments to the outcome the checkout page shows.
export function classifyPayment(status, body) {
  if (status === 201 && body?.status === 'approved') {
    const card = body.card ?? {};
    return {
      outcome: 'approved',
      payment: {
        id: body.id,
        amount: body.amount,
        currency: body.currency,
        brand: card.brand,
        last4: card.last4,
        expMonth: card.exp_month,
        expYear: card.exp_year,
      },
    };
  }
  if (status === 201 && body?.status === 'declined') {
    return { outcome: 'declined', code: body.decline_code ?? 'card_declined' };
  }
  if (status === 401) {
    return { outcome: 'error', code: 'shop_unauthorized' };
  }
  if (status >= 400 && status < 500) {
    return { outcome: 'refused', code: typeof body?.code === 'string' ? body.code : 'request_rejected' };
  }
  return { outcome: 'error', code: 'platform_unavailable' };
}

async function readBody(req, limit) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) {
      throw new HttpError(413, 'body_too_large');
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
