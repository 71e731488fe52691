// The hosted card frame: served from the platform's origin and embedded in the shop's checkout
// page by the embed script. The card inputs live here, out of reach of the shop page's scripts.
// The parent page only ever receives the sealed envelope and the card's display data.
//
// Trust rules:
// - The sealing key comes from this origin's /.well-known/jwks.json, never from the parent.
// - The parent origin is the shop origin the platform registered for the checkout session (from
//   /v1/checkout-sessions/{id}/frame), not anything the URL or a message claims.
// - Messages are accepted only from window.parent at that origin, and posted only to it.

const PROTOCOL = 'cardseal';
const PROTOCOL_VERSION = 1;
const JWKS_PATH = '/.well-known/jwks.json';

/** Frame errors carry a stable code, like the library's CardSealError. */
class FrameError extends Error {
  constructor(code) {
    super(code);
    this.code = code;
  }
}

const params = new URLSearchParams(location.hash.slice(1));
const sessionId = params.get('session');
const lang = params.get('locale') || undefined;
// The embedding page's own claim of its origin, used only to report a failure to start before
// the session names the shop origin. Such a report contains an error code and nothing else.
const claimedParent = originOrNull(params.get('parent'));

// Shown when the wasm module, and with it the message table, failed to load.
const LOAD_FAILURE = 'カード入力欄を読み込めませんでした。 / The card form could not be loaded.';

// The library build to load: without the pure-Rust sealing fallback where the page has WebCrypto
// (in a secure context, every browser that runs WebAssembly), because that build is a third smaller.
const LIBRARY = globalThis.crypto?.subtle ? '../pkg/webcrypto/cardseal.js' : '../pkg/cardseal.js';

let library = null;
let shopOrigin = null;
let form = null;
let sealer = null;

main().catch(reportStartupError);

async function main() {
  if (window.parent === window) throw new FrameError('session_missing');
  if (!sessionId) throw new FrameError('session_missing');

  // The wasm module, the key set and the session load together. All three settle before an
  // error is reported, so the message table is there to word it.
  const [loaded, jwks, session] = await Promise.allSettled([
    import(LIBRARY).then(async (module) => {
      await module.default();
      library = module;
    }),
    fetchJson(JWKS_PATH, 'jwks_invalid'),
    fetchJson(`/v1/checkout-sessions/${encodeURIComponent(sessionId)}/frame`, 'session_not_found'),
  ]);
  for (const result of [loaded, session, jwks]) {
    if (result.status === 'rejected') throw result.reason;
  }

  checkSession(session.value);
  shopOrigin = session.value.shop_origin;
  checkAncestor(shopOrigin);

  // The session's server_time puts the platform's clock into envelopes, so a buyer's clock
  // that is off by minutes does not get every envelope rejected as stale.
  const serverTime = Number.isFinite(session.value.server_time) ? session.value.server_time : undefined;
  sealer = new library.Sealer({ jwks: jwks.value, sessionId, origin: shopOrigin, serverTime, lang });
  form = library.CardForm.mount(document.getElementById('card-form'), {
    lang,
    holder: params.get('holder') || undefined,
    style: parseStyle(params.get('style')),
  });
  document.documentElement.lang = form.lang;

  form.onChange((state) => post({ type: 'change', brand: state.brand ?? null, complete: state.complete, empty: state.empty }));
  form.onSubmit(() => post({ type: 'submit' }));
  window.addEventListener('message', onMessage);
  observeHeight();
  post({ type: 'ready', lang: form.lang });
}

async function fetchJson(path, failureCode) {
  let response;
  try {
    response = await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  } catch {
    throw new FrameError('network_error');
  }
  if (response.status === 404) throw new FrameError(failureCode);
  if (!response.ok) throw new FrameError('network_error');
  try {
    return await response.json();
  } catch {
    throw new FrameError(failureCode);
  }
}

function checkSession(session) {
  if (!session || typeof session.shop_origin !== 'string') throw new FrameError('session_not_found');
  if (session.status === 'expired') throw new FrameError('session_expired');
  if (session.status !== 'open') throw new FrameError('session_used');
  if (originOrNull(session.shop_origin) !== session.shop_origin) throw new FrameError('session_not_found');
}

/** Returns the serialized origin of an http(s) URL, or null. */
function originOrNull(text) {
  if (!text) return null;
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : null;
  } catch {
    return null;
  }
}

/** Refuses to run inside a page of another origin than the session's shop, where the browser
 *  reports the embedding origin (location.ancestorOrigins, in Chromium and Safari). The CSP's
 *  frame-ancestors is the general guard, and posting only to the shop origin keeps data from any
 *  other parent anyway. */
function checkAncestor(origin) {
  const ancestors = location.ancestorOrigins;
  if (ancestors && ancestors.length > 0 && ancestors[0] !== origin) {
    shopOrigin = null;
    throw new FrameError('session_not_found');
  }
}

function onMessage(event) {
  if (event.source !== window.parent || event.origin !== shopOrigin) return;
  const data = event.data;
  if (!data || data.protocol !== PROTOCOL) return;

  switch (data.type) {
    case 'seal':
      sealCard(data.id);
      break;
    case 'focus':
      form.focus();
      break;
    case 'clear':
      form.clear();
      break;
  }
}

async function sealCard(id) {
  try {
    const result = await form.seal(sealer);
    // The inputs are emptied as soon as the envelope exists: nothing is left to read afterwards.
    form.clear();
    post({
      type: 'sealed',
      id,
      result: {
        envelope: result.envelope,
        brand: result.brand,
        last4: result.last4,
        expMonth: result.expMonth,
        expYear: result.expYear,
      },
    });
  } catch (error) {
    post({ type: 'seal-error', id, error: describe(error) });
  }
}

/** Reduces an error to what the parent may see: code, message, and per-field codes. */
function describe(error) {
  const code = typeof error?.code === 'string' ? error.code : 'seal_failed';
  const message = error?.name === 'CardSealError' ? error.message : safeMessage(code);
  const described = { code, message };
  if (Array.isArray(error?.fields)) {
    described.fields = error.fields.map(({ field, code, message }) => ({ field, code, message }));
  }
  return described;
}

function safeMessage(code) {
  return library ? library.errorMessage(code, lang) : LOAD_FAILURE;
}

function post(message, targetOrigin = shopOrigin) {
  if (!targetOrigin) return;
  window.parent.postMessage({ protocol: PROTOCOL, version: PROTOCOL_VERSION, ...message }, targetOrigin);
}

/** Reports the page's height so the embed script can size the iframe to its content. */
function observeHeight(targetOrigin = shopOrigin) {
  let reported = 0;
  const report = () => {
    const height = Math.ceil(document.body.getBoundingClientRect().height);
    if (height !== reported) {
      reported = height;
      post({ type: 'resize', height }, targetOrigin);
    }
  };
  new ResizeObserver(report).observe(document.body);
  report();
}

function parseStyle(text) {
  if (!text) return undefined;
  try {
    const style = JSON.parse(text);
    return style && typeof style === 'object' ? style : undefined;
  } catch {
    return undefined;
  }
}

function reportStartupError(error) {
  // Frame errors and the library's CardSealError (an unusable key set, say) carry a code.
  const code = typeof error?.code === 'string' ? error.code : 'network_error';
  const message = safeMessage(code);
  const status = document.getElementById('frame-status');
  status.textContent = message;
  status.hidden = false;
  post({ type: 'error', error: { code, message } }, shopOrigin ?? claimedParent);
  observeHeight(shopOrigin ?? claimedParent);
}
