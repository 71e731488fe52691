// The hosted card frame and the embed script against the real cardseal-server. The shop page and
// the platform run on two origins of 127.0.0.1, and a third origin serves a third-party frame.
// Covered: sealing in the frame, the service accepting the envelope, npm jose opening it, the
// parent page unable to read the inputs, messages from unexpected origins ignored on both sides,
// auto-sizing, errors in both languages, strict CSP and SRI.
//
// Needs dist/ (scripts/build-browser) and the server binary (cargo build -p cardseal-server;
// CARDSEAL_SERVER may name another build). Run: node --test browser-tests/
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { access, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { compactDecrypt } from 'jose';

import { collectCspViolations, launchChromium } from './lib/chromium.mjs';
import { startStaticServer, strictCsp } from './lib/static-server.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const serverBinary = process.env.CARDSEAL_SERVER ?? join(root, 'target', 'debug', 'cardseal-server');

// Simulated acquirer test cards (server docs): JCB approved.
const JCB_APPROVED = '3560000000000006';
const EXP_YEAR = new Date().getUTCFullYear() + 3;

let platform;
let shop;
let thirdParty;
let dataDir;
let apiKey;
let serverProcess;
let serverLog = '';
let browser;
let sri;

async function freePort() {
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function waitForReady(origin) {
  // Polls until the service responds. The test fails if the service exits first.
  for (;;) {
    if (serverProcess.exitCode !== null) throw new Error(`cardseal-server exited:\n${serverLog}`);
    try {
      const response = await fetch(`${origin}/readyz`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

before(async () => {
  for (const file of [join(dist, 'frame', 'index.html'), join(dist, 'embed', 'cardseal.js.sri'), serverBinary]) {
    await access(file).catch(() => {
      throw new Error(`${file} is missing: run scripts/build-browser and cargo build -p cardseal-server`);
    });
  }
  sri = (await readFile(join(dist, 'embed', 'cardseal.js.sri'), 'utf8')).trim();

  const pages = { '/test/': join(root, 'www', 'test') };
  thirdParty = await startStaticServer({ mounts: pages });
  // The shop's policy is as strict as the frame's: the embed script and frame come from the
  // platform, third-party frames from their origins.
  shop = await startStaticServer({
    mounts: pages,
    csp: () => strictCsp({ scriptSrc: [platform.origin], frameSrc: [platform.origin, thirdParty.origin, "'self'"] }),
  });

  dataDir = await mkdtemp(join(tmpdir(), 'cardseal-frame-test-'));
  const { stdout } = await promisify(execFile)(serverBinary, [
    'shops', 'add', '--data-dir', dataDir, '--name', 'Browser test shop', '--origin', shop.origin, '--json',
  ]);
  apiKey = JSON.parse(stdout).api_key;

  const port = await freePort();
  platform = { origin: `http://127.0.0.1:${port}` };
  serverProcess = spawn(serverBinary, ['serve', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, '--assets', dist], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  serverProcess.stdout.on('data', (chunk) => (serverLog += chunk));
  serverProcess.stderr.on('data', (chunk) => (serverLog += chunk));
  await waitForReady(platform.origin);

  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (serverProcess && serverProcess.exitCode === null) {
    const exited = new Promise((resolve) => serverProcess.once('exit', resolve));
    serverProcess.kill('SIGTERM');
    await exited;
  }
  await shop?.close();
  await thirdParty?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function api(method, path, body, headers = {}) {
  const response = await fetch(`${platform.origin}${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

async function createSession() {
  const { status, body } = await api('POST', '/v1/checkout-sessions', { amount: 1200, currency: 'JPY', order_reference: 'BT-1' });
  assert.equal(status, 201, JSON.stringify(body));
  return body.id;
}

/**
 * Opens the shop page with the card frame for `session`. Unless `waitForReady` is false, waits
 * for the card element's ready event. `page.finish()` checks for CSP violations and closes.
 */
async function openShop(session, { locale = 'ja', third = [], integrity = sri, style, waitForReady = true, beforeLoad } = {}) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const consoleViolations = collectCspViolations(page);
  if (beforeLoad) await beforeLoad(context, page);
  const query = new URLSearchParams({ platform: platform.origin, session, sri: integrity, locale, third: third.join(',') });
  if (style) query.set('style', JSON.stringify(style));
  await page.goto(`${shop.origin}/test/shop.html?${query}`);
  if (waitForReady) await page.waitForFunction(() => window.events?.some((event) => event.name === 'ready'));
  page.finish = async () => {
    assert.deepEqual(await page.evaluate(() => window.violations), [], 'CSP violations in the shop page');
    assert.deepEqual(consoleViolations, [], 'CSP messages on the console');
    await context.close();
  };
  return page;
}

const cardFrame = (page) => page.frameLocator('iframe.cardseal-frame');

async function typeCard(page, { number = JCB_APPROVED, expiry = `12/${EXP_YEAR}`, cvc = '123' } = {}) {
  const frame = cardFrame(page);
  await frame.locator('input[name=cardnumber]').click();
  await page.keyboard.type(number);
  await frame.locator('input[name=exp-date]').click();
  await page.keyboard.type(expiry);
  await frame.locator('input[name=cvc]').click();
  await page.keyboard.type(cvc);
}

function submit(page) {
  return page.evaluate(() =>
    window.card.submit().then(
      (result) => ({ result }),
      (error) => ({ error: { code: error.code, message: error.message, fields: error.fields, name: error.name } }),
    ),
  );
}

/** Opens an envelope with npm jose and the service's private key from its key store. */
async function openWithJose(envelope) {
  const keysDir = join(dataDir, 'keys');
  const header = JSON.parse(Buffer.from(envelope.split('.')[0], 'base64url').toString());
  assert.ok((await readdir(keysDir)).includes(`${header.kid}.pem`), `no private key for ${header.kid}`);
  const key = createPrivateKey(await readFile(join(keysDir, `${header.kid}.pem`), 'utf8'));
  const { plaintext, protectedHeader } = await compactDecrypt(envelope, key, {
    keyManagementAlgorithms: ['RSA-OAEP-256'],
    contentEncryptionAlgorithms: ['A256GCM'],
  });
  return { payload: JSON.parse(new TextDecoder().decode(plaintext)), protectedHeader };
}

describe('hosted frame with the real service', () => {
  test('seals in the frame and the service accepts the envelope', async () => {
    const session = await createSession();
    const page = await openShop(session);
    await typeCard(page);
    await page.waitForFunction(() => window.events.some((event) => event.name === 'change' && event.detail.complete));

    const { result, error } = await submit(page);
    assert.equal(error, undefined, JSON.stringify(error));
    assert.deepEqual(Object.keys(result), ['envelope', 'brand', 'last4', 'expMonth', 'expYear']);
    assert.equal(result.brand, 'jcb');
    assert.equal(result.last4, '0006');
    assert.equal(result.expMonth, 12);
    assert.equal(result.expYear, EXP_YEAR);
    assert.ok(!result.envelope.includes(JCB_APPROVED));

    const values = await cardFrame(page).locator('input').evaluateAll((inputs) => inputs.map((input) => input.value));
    assert.deepEqual(values, ['', '', '', ''], 'the frame clears its inputs after sealing');

    const { payload, protectedHeader } = await openWithJose(result.envelope);
    assert.equal(payload.number, JCB_APPROVED);
    assert.equal(protectedHeader.sid, session);
    assert.equal(protectedHeader.origin, shop.origin);

    const payment = await api('POST', '/v1/payments', { session_id: session, envelope: result.envelope }, { 'idempotency-key': `bt-${session}` });
    assert.equal(payment.status, 201, JSON.stringify(payment.body));
    assert.equal(payment.body.status, 'approved');
    assert.deepEqual(payment.body.card, { brand: 'jcb', last4: '0006', exp_month: 12, exp_year: EXP_YEAR });
    await page.finish();
  });

  test('the parent page cannot read the inputs', async () => {
    const page = await openShop(await createSession());
    await typeCard(page);

    const reads = await page.evaluate(() => {
      const frame = document.querySelector('iframe.cardseal-frame');
      const attempt = (read) => {
        try {
          return { value: read() };
        } catch (error) {
          return { error: error.name };
        }
      };
      return {
        contentDocument: frame.contentDocument,
        document: attempt(() => frame.contentWindow.document.querySelector('input').value),
        location: attempt(() => frame.contentWindow.location.href),
        byFrames: attempt(() => window.frames[0].document.body.innerHTML),
      };
    });
    assert.equal(reads.contentDocument, null);
    assert.deepEqual(reads.document, { error: 'SecurityError' });
    assert.deepEqual(reads.location, { error: 'SecurityError' });
    assert.deepEqual(reads.byFrames, { error: 'SecurityError' });
    await page.finish();
  });

  test('the frame ignores messages from other frames and origins', async () => {
    const session = await createSession();
    const page = await openShop(session, { third: [thirdParty.origin, shop.origin] });
    await page.waitForFunction(() => window.raw.filter((message) => message.type === 'third-party-ready').length === 2);
    await typeCard(page);

    // A frame of another origin, then a frame of the shop's own origin that is not the parent.
    for (const origin of [thirdParty.origin, shop.origin]) {
      await page.evaluate((from) => window.attack(from, 'attack-frame'), origin);
      await page.waitForFunction((from) => window.raw.some((message) => message.type === 'attacked-frame' && message.origin === from), origin);
    }

    // The forged seal and clear were queued before this request: had the frame obeyed them,
    // the card would be gone and this seal would fail.
    const { result, error } = await submit(page);
    assert.equal(error, undefined, JSON.stringify(error));
    assert.equal(result.last4, '0006');
    const { payload } = await openWithJose(result.envelope);
    assert.equal(payload.number, JCB_APPROVED);
    const answered = await page.evaluate(() => window.raw.filter((message) => message.id === 99));
    assert.deepEqual(answered, [], 'the frame answered a forged request');
    await page.finish();
  });

  test('the embed script ignores forged frame messages', async () => {
    let releaseWasm;
    const wasmHeld = new Promise((resolve) => (releaseWasm = resolve));
    // Holding the frame's wasm module keeps the real frame from getting ready while the forged
    // messages arrive, so the test does not depend on which message comes first.
    const page = await openShop(await createSession(), {
      third: [thirdParty.origin],
      waitForReady: false,
      beforeLoad: (context) =>
        context.route('**/pkg/**/cardseal_bg.wasm', async (route) => {
          await wasmHeld;
          await route.continue();
        }),
    });
    await page.waitForFunction(() => window.raw.some((message) => message.type === 'third-party-ready'));
    await page.evaluate(() => {
      window.pending = window.card.submit().then(
        (result) => ({ result }),
        (error) => ({ error: { code: error.code } }),
      );
    });
    await page.evaluate((from) => window.attack(from, 'attack-parent'), thirdParty.origin);
    await page.waitForFunction(() => window.raw.some((message) => message.type === 'attacked-parent'));
    assert.deepEqual(await page.evaluate(() => window.events), [], 'a forged ready reached the listeners');

    releaseWasm();
    const outcome = await page.evaluate(() => window.pending);
    // The real frame responds to the queued submit. Its fields are empty, so there is no envelope.
    assert.deepEqual(outcome, { error: { code: 'number_missing' } });
    await page.finish();
  });

  test('the iframe follows the height of the form', async () => {
    const page = await openShop(await createSession(), { locale: 'en' });
    const heights = () =>
      page.evaluate(() => document.querySelector('iframe.cardseal-frame').getBoundingClientRect().height);
    const bodyHeight = () => cardFrame(page).locator('body').evaluate((body) => Math.ceil(body.getBoundingClientRect().height));

    await page.waitForFunction(() => document.querySelector('iframe.cardseal-frame').style.height !== '200px');
    const before = await heights();
    assert.equal(before, await bodyHeight());

    await submit(page);
    await page.waitForFunction((old) => document.querySelector('iframe.cardseal-frame').getBoundingClientRect().height > old, before);
    assert.equal(await heights(), await bodyHeight(), 'the iframe grows with the messages');
    await page.finish();
  });

  test('errors come in the frame language', async () => {
    const cases = [
      ['ja', 'カード番号を入力してください。', 'カード情報の入力'],
      ['en', 'Enter the card number.', 'Card details'],
    ];
    for (const [locale, text, title] of cases) {
      const page = await openShop(await createSession(), { locale });
      const { error } = await submit(page);
      assert.equal(error.name, 'CardSealError');
      assert.equal(error.code, 'number_missing');
      assert.equal(error.message, text);
      assert.deepEqual(error.fields.map((field) => field.code), ['number_missing', 'expiry_missing', 'cvc_missing']);
      assert.equal(await page.$eval('iframe.cardseal-frame', (frame) => frame.title), title);
      const message = await cardFrame(page).locator('.cs-field-number .cs-message').textContent();
      assert.equal(message, text);
      await page.finish();
    }
  });

  test('a used or unknown session is reported as an error event', async () => {
    const session = await createSession();
    const page = await openShop(session);
    await typeCard(page);
    const { result } = await submit(page);
    await page.finish();
    const payment = await api('POST', '/v1/payments', { session_id: session, envelope: result.envelope }, { 'idempotency-key': `used-${session}` });
    assert.equal(payment.body.status, 'approved');

    const cases = [
      [session, 'session_used', 'この決済はすでに完了しています。'],
      ['cs_doesnotexist0000000000', 'session_not_found', '決済の有効期限が切れたか、見つかりません。ページを再読み込みしてください。'],
    ];
    for (const [id, code, message] of cases) {
      const page = await openShop(id, { waitForReady: false });
      await page.waitForFunction(() => window.events.some((event) => event.name === 'error'));
      const event = await page.evaluate(() => window.events.find((entry) => entry.name === 'error'));
      assert.equal(event.detail.code, code);
      assert.equal(event.detail.message, message);
      const { error } = await submit(page);
      assert.equal(error.code, code, 'submit rejects with the error that stopped the frame');
      await page.finish();
    }
  });

  test('style options reach the frame under its strict CSP', async () => {
    const style = { colorText: 'rgb(10, 20, 30)', borderRadius: '0px', colorError: 'red; background: url(x)' };
    const page = await openShop(await createSession(), { style });
    const computed = await cardFrame(page)
      .locator('input[name=cardnumber]')
      .evaluate((input) => {
        const css = getComputedStyle(input);
        return { color: css.color, radius: css.borderTopLeftRadius, error: css.getPropertyValue('--cs-color-error').trim() };
      });
    assert.deepEqual(computed, { color: 'rgb(10, 20, 30)', radius: '0px', error: '#b3261e' });
    await page.finish();
  });

  test('the frame is served with a strict CSP naming the shop as ancestor', async () => {
    const response = await fetch(`${platform.origin}/frame/index.html`);
    const csp = response.headers.get('content-security-policy');
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.match(csp, new RegExp(`frame-ancestors [^;]*${shop.origin.replace(/\./g, '\\.')}`));
  });

  test('the embed script does not run with a wrong SRI hash', async () => {
    const wrong = `sha384-${Buffer.alloc(48).toString('base64')}`;
    const page = await openShop(await createSession(), { integrity: wrong, waitForReady: false });
    await page.waitForFunction(() => window.embedFailed === true);
    assert.equal(await page.evaluate(() => typeof window.CardSeal), 'undefined');
    await page.context().close();
  });
});
