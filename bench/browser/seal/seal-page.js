// The seal benchmark inside the page: the cardseal module (WebCrypto path, pure-Rust path,
// one-shot seal()) beside the same JWE made by plain JavaScript with WebCrypto.
//
// Every variant seals the same card under the same key, interleaved run by run, so that a busy
// moment of the machine falls on all of them alike. Times come from performance.now(), which
// is precise to 5 microseconds here because the page is cross-origin isolated (COOP + COEP).
//
// `?build=webcrypto` loads the build without the pure-Rust fallback (the one the hosted frame
// loads), otherwise the full build. One build per page: a second wasm module instantiated in
// the same page sealed about 30 microseconds slower than the first, whichever build it was.

const TYP = 'cardseal-v1+jwe';
const ENVELOPE_ID_BYTES = 16;
const CEK_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const ORIGIN = 'http://127.0.0.1:8081';
const SESSION_ID = 'cs_bench_seal';
// A public JCB test card, never a real card.
const CARD = { number: '3530111333300000', expiry: '12/30', cvc: '123' };
const PAYLOAD_CARD = { number: '3530111333300000', exp_month: 12, exp_year: 2030, cvc: '123' };

const encoder = new TextEncoder();
const subtle = crypto.subtle;

function base64url(bytes) {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 1) binary += String.fromCharCode(bytes[i]);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function importRsa(jwk) {
  return subtle.importKey('jwk', jwk, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt']);
}

/** The cardseal envelope made with WebCrypto from plain JavaScript (the baseline). */
async function sealPlain(rsaKey, kid) {
  const header = {
    alg: 'RSA-OAEP-256',
    enc: 'A256GCM',
    kid,
    typ: TYP,
    iat: Math.floor(Date.now() / 1000),
    jti: base64url(crypto.getRandomValues(new Uint8Array(ENVELOPE_ID_BYTES))),
    sid: SESSION_ID,
    origin: ORIGIN,
  };
  const protectedHeader = base64url(encoder.encode(JSON.stringify(header)));
  const cek = crypto.getRandomValues(new Uint8Array(CEK_BYTES));
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const plaintext = encoder.encode(JSON.stringify(PAYLOAD_CARD));

  // The RSA wrap and the AES chain run side by side, as in the module's WebCrypto path.
  const wrap = subtle.encrypt({ name: 'RSA-OAEP' }, rsaKey, cek);
  const aesKey = await subtle.importKey('raw', cek, 'AES-GCM', false, ['encrypt']);
  const sealed = new Uint8Array(await subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: encoder.encode(protectedHeader), tagLength: TAG_BYTES * 8 },
    aesKey,
    plaintext,
  ));
  const encryptedKey = new Uint8Array(await wrap);
  const split = sealed.length - TAG_BYTES;
  return [protectedHeader, base64url(encryptedKey), base64url(iv), base64url(sealed.subarray(0, split)),
    base64url(sealed.subarray(split))].join('.');
}

async function makeKey(bits, kid) {
  const pair = await subtle.generateKey(
    { name: 'RSA-OAEP', modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    true,
    ['encrypt', 'decrypt'],
  );
  const publicJwk = await subtle.exportKey('jwk', pair.publicKey);
  const privateJwk = await subtle.exportKey('jwk', pair.privateKey);
  return { publicJwk: { ...publicJwk, kid, use: 'enc' }, privateJwk: { ...privateJwk, kid } };
}

/** Runs every variant `warmUp` times untimed, then `runs` timed rounds; returns times in ms. */
async function measure(variants, warmUp, runs) {
  const names = Object.keys(variants);
  for (const name of names) {
    for (let i = 0; i < warmUp; i += 1) await variants[name]();
  }
  const times = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < runs; round += 1) {
    // Rotate the order each round so no variant always runs right after another.
    for (let k = 0; k < names.length; k += 1) {
      const name = names[(round + k) % names.length];
      const start = performance.now();
      await variants[name]();
      times[name].push(performance.now() - start);
    }
  }
  return times;
}

async function envelopeOf(result) {
  const value = await result;
  return typeof value === 'string' ? value : value.envelope;
}

const BUILD = new URLSearchParams(location.search).get('build') === 'webcrypto' ? 'webcrypto' : 'full';
let cardseal = null;
let instantiateMs = null;

/** Loads and instantiates the module once per page. */
async function load() {
  if (cardseal) return;
  cardseal = await import(BUILD === 'webcrypto' ? '/pkg/webcrypto/cardseal.js' : '/pkg/cardseal.js');
  const initStart = performance.now();
  await cardseal.default();
  instantiateMs = performance.now() - initStart;
}

/** Makes a key of `bits` and every variant sealing under it. */
async function makeVariants(bits) {
  const kid = `bench-${bits}`;
  const { publicJwk, privateJwk } = await makeKey(bits, kid);
  const options = { key: publicJwk, kid, sessionId: SESSION_ID, origin: ORIGIN };
  const { Sealer, seal } = cardseal;
  const webSealer = new Sealer({ ...options, engine: 'webcrypto' });
  const rustSealer = BUILD === 'full' && new Sealer({ ...options, engine: 'rust' });
  const rsaKey = await importRsa(publicJwk);

  const variants = {
    // Key imported once and kept, as the hosted frame does.
    plain_webcrypto: () => sealPlain(rsaKey, kid),
    cardseal_webcrypto: () => webSealer.seal(CARD),
    ...(rustSealer && { cardseal_rust: () => rustSealer.seal(CARD) }),
    // Key read and imported on every call.
    plain_webcrypto_import: async () => sealPlain(await importRsa(publicJwk), kid),
    cardseal_seal_fn: () => seal(CARD, options),
  };
  return { variants, privateJwk };
}

window.runBench = async ({ sizes, warmUp, runs, samples }) => {
  await load();
  const results = [];
  for (const bits of sizes) {
    const { variants, privateJwk } = await makeVariants(bits);
    const times = await measure(variants, warmUp, runs);

    const envelopes = {};
    for (const [name, run] of Object.entries(variants)) {
      envelopes[name] = [];
      for (let i = 0; i < samples; i += 1) envelopes[name].push(await envelopeOf(run()));
    }
    results.push({ bits, times, envelopes, privateJwk });
  }
  return {
    build: BUILD,
    instantiateMs,
    crossOriginIsolated: self.crossOriginIsolated,
    userAgent: navigator.userAgent,
    results,
  };
};

// For profiling one variant: prepares the variants of one key size, then runs one of them.
let prepared = null;
window.prepareVariants = async (bits) => {
  await load();
  prepared = (await makeVariants(bits)).variants;
  return Object.keys(prepared);
};
window.runVariant = async (name, count) => {
  const start = performance.now();
  for (let i = 0; i < count; i += 1) await prepared[name]();
  return (performance.now() - start) / count;
};

window.benchReady = true;
