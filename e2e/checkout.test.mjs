// The whole checkout in the demo started by scripts/demo. A buyer pays, is declined and corrects the
// card, and reloads a paid order. Then everything the shop saw is searched for card numbers and CVCs.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';

import { CARDS, FUTURE_EXPIRY, FUTURE_EXPIRY_YEAR, findSecrets, toFullWidth } from './cards.mjs';
import { startBrowser, startDemo } from './harness.mjs';
import { ShopPage, recordShopMessages, shopPageSnapshot } from './shop-page.mjs';

const EXPIRY_SHOWN = `12/${String(FUTURE_EXPIRY_YEAR).slice(-2)}`;

describe('checkout in the demo', () => {
  let demo;
  let browser;
  let page;
  const typedCards = [];
  const shopPageSnapshots = [];

  async function typeAndPay(shop, card, { fullWidth = false, expiry = FUTURE_EXPIRY } = {}) {
    typedCards.push(card);
    const convert = fullWidth ? toFullWidth : (text) => text;
    await shop.typeCard({ number: convert(card.number), expiry: convert(expiry), cvc: convert(card.cvc) });
    const outcome = await shop.pay();
    shopPageSnapshots.push(await shopPageSnapshot(shop.page));
    return outcome;
  }

  async function platformPayment(paymentId) {
    const response = await fetch(`${demo.platformUrl}/v1/payments/${encodeURIComponent(paymentId)}`, {
      headers: { Authorization: `Bearer ${demo.apiKey()}` },
    });
    return { status: response.status, body: await response.json() };
  }

  function shopLogEvents() {
    return demo
      .shopLog()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line));
  }

  before(async () => {
    demo = await startDemo();
    browser = await startBrowser();
    await recordShopMessages(browser.context, demo.shopUrl);
    page = await browser.context.newPage();
  });

  after(async () => {
    await browser?.close();
    await demo?.stop();
    demo?.removeDataDir();
  });

  test('JCB typed in full-width digits is approved', async () => {
    const shop = new ShopPage(page, demo.shopUrl, 'ja');
    await shop.newOrder();
    const sessionId = await shop.sessionId();

    const outcome = await typeAndPay(shop, CARDS.jcbApproved, { fullWidth: true });

    assert.equal(outcome.error, '');
    assert.equal(outcome.paid, true);
    assert.equal(outcome.brand, 'JCB');
    assert.equal(outcome.number, '•••• 0000');
    assert.equal(outcome.expiry, EXPIRY_SHOWN);
    assert.equal(outcome.orderStatus, 'お支払い済み');
    assert.match(outcome.paymentId, /^pay_/);
    assert.match(outcome.protectedHeader, /"alg": "RSA-OAEP-256"/);
    assert.match(outcome.protectedHeader, /"enc": "A256GCM"/);
    assert.match(outcome.sent, /"session_id": "cs_/);
    assert.match(outcome.received, /"status": "approved"/);

    const payment = await platformPayment(outcome.paymentId);
    assert.equal(payment.status, 200);
    assert.equal(payment.body.id, outcome.paymentId);
    assert.equal(payment.body.status, 'approved');
    assert.equal(payment.body.session_id, sessionId);
    assert.equal(payment.body.amount, 2420);
    assert.equal(payment.body.currency, 'JPY');
    assert.equal(payment.body.card.brand, 'jcb');
    assert.equal(payment.body.card.last4, '0000');
    assert.equal(payment.body.card.exp_month, 12);
    assert.equal(payment.body.card.exp_year, FUTURE_EXPIRY_YEAR);
  });

  test('declined card shows Japanese message, then pays', async () => {
    const shop = new ShopPage(page, demo.shopUrl, 'ja');
    await shop.newOrder();

    const declined = await typeAndPay(shop, CARDS.visaDeclined);
    assert.equal(declined.paid, false);
    assert.match(declined.error, /カードが承認されませんでした/);
    assert.equal(declined.orderStatus, 'お支払い待ち');
    assert.match(declined.received, /"decline_code": "card_declined"/);

    const approved = await typeAndPay(shop, CARDS.jcbApproved);
    assert.equal(approved.paid, true, approved.error);
    assert.equal(approved.error, '');
    assert.equal(approved.brand, 'JCB');
  });

  test('expired card shows Japanese message, then pays', async () => {
    const shop = new ShopPage(page, demo.shopUrl, 'ja');
    await shop.newOrder();

    // A past expiry never leaves the frame: the form marks the field and nothing is sent.
    const paymentRequests = browser.traffic.filter((entry) => entry.kind === 'request' && entry.url.includes('/payments')).length;
    const pastExpiry = await typeAndPay(shop, CARDS.jcbPastExpiry, { expiry: '01/20' });
    assert.equal(pastExpiry.paid, false);
    assert.notEqual(pastExpiry.error, '');
    assert.equal(await shop.frame.getByLabel('有効期限').getAttribute('aria-invalid'), 'true');
    await shop.frame.getByText('このカードは有効期限が切れています。', { exact: true }).waitFor();
    assert.equal(browser.traffic.filter((entry) => entry.kind === 'request' && entry.url.includes('/payments')).length, paymentRequests);

    // A card the issuer reports as expired is declined by the acquirer.
    const expired = await typeAndPay(shop, CARDS.mastercardExpired);
    assert.equal(expired.paid, false);
    assert.match(expired.error, /カードの有効期限が切れています/);
    assert.match(expired.received, /"decline_code": "expired_card"/);

    const approved = await typeAndPay(shop, CARDS.jcbApproved);
    assert.equal(approved.paid, true, approved.error);
    assert.equal(approved.number, '•••• 0000');
  });

  test('reloaded paid order cannot pay again', async () => {
    const shop = new ShopPage(page, demo.shopUrl, 'ja');
    await shop.newOrder();
    const firstSessionId = await shop.sessionId();
    const first = await typeAndPay(shop, CARDS.jcbApproved);
    assert.equal(first.paid, true, first.error);
    const envelope = JSON.parse(first.fromFrame).envelope;

    // The reloaded page shows the order as paid, and the frame rejects the used session.
    await page.reload();
    await page.waitForFunction(() => document.getElementById('payment-error').textContent !== '');
    const reloaded = await shop.outcome();
    assert.equal(reloaded.orderStatus, 'お支払い済み');
    assert.match(reloaded.error, /すでにお支払い済みです/);
    assert.equal(reloaded.payButtonDisabled, true);
    assert.equal(reloaded.paid, false);
    await page.locator('#new-order-link').waitFor();

    // Sending the first envelope again through the shop gets the first payment back, not a second.
    const orderPath = new URL(page.url()).pathname;
    const resent = await page.evaluate(
      async ({ path, body }) => (await fetch(`/api${path}/payments`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body })).json(),
      { path: orderPath, body: JSON.stringify({ envelope }) },
    );
    assert.equal(resent.outcome, 'approved');
    assert.equal(resent.payment.id, first.paymentId);

    const orderId = orderPath.split('/').pop();
    const approvedForOrder = shopLogEvents().filter(
      (event) => event.event === 'platform_response_received' && event.order_id === orderId && event.body?.status === 'approved',
    );
    const paymentIds = new Set(approvedForOrder.map((event) => event.body.id));
    assert.deepEqual([...paymentIds], [first.paymentId]);

    // A new order gets a new session, which works.
    const second = new ShopPage(page, demo.shopUrl, 'ja');
    await second.newOrder();
    assert.notEqual(await second.sessionId(), firstSessionId);
    const secondOutcome = await typeAndPay(second, CARDS.jcbApproved);
    assert.equal(secondOutcome.paid, true, secondOutcome.error);
    assert.notEqual(secondOutcome.paymentId, first.paymentId);
  });

  test('English page pays with Amex and Diners', async () => {
    const shop = new ShopPage(page, demo.shopUrl, 'en');

    await shop.newOrder();
    const declined = await typeAndPay(shop, CARDS.visaDeclined);
    assert.equal(declined.error, 'Your card was declined. Please contact your card issuer or use another card.');
    const amex = await typeAndPay(shop, CARDS.amexApproved);
    assert.equal(amex.paid, true, amex.error);
    assert.equal(amex.brand, 'American Express');
    assert.equal(amex.number, '•••• 0005');
    assert.equal(amex.orderStatus, 'Paid');

    await shop.newOrder();
    const diners = await typeAndPay(shop, CARDS.dinersApproved);
    assert.equal(diners.paid, true, diners.error);
    assert.equal(diners.brand, 'Diners Club');
    assert.equal(diners.number, '•••• 1667');
  });

  test('shop never saw a card number or CVC', async () => {
    await browser.settled();
    assert.ok(typedCards.length >= 8, `only ${typedCards.length} cards were typed`);

    const requests = browser.traffic.filter((entry) => entry.kind === 'request');
    const shopRequests = requests.filter((entry) => entry.url.startsWith(demo.shopUrl));
    assert.ok(shopRequests.some((entry) => entry.url.includes('/payments') && entry.body.includes('envelope')), 'no envelope was relayed');
    for (const entry of browser.traffic) {
      const text = [entry.url, entry.headers, entry.body].join('\n');
      assert.deepEqual(findSecrets(text, typedCards), [], `${entry.kind} ${entry.method ?? entry.status} ${entry.url}`);
    }

    const shopLog = demo.shopLog();
    assert.match(shopLog, /"event":"payment_request_received"/);
    assert.deepEqual(findSecrets(shopLog, typedCards), [], 'shop server log');
    assert.deepEqual(findSecrets(demo.platformLog(), typedCards), [], 'platform log');
    assert.deepEqual(findSecrets(demo.output(), typedCards), [], 'scripts/demo output');

    assert.ok(shopPageSnapshots.length >= 8);
    assert.ok(shopPageSnapshots.some((snapshot) => snapshot.includes('"envelope"')), 'no snapshot shows an envelope');
    for (const [index, snapshot] of shopPageSnapshots.entries()) {
      assert.deepEqual(findSecrets(snapshot, typedCards), [], `shop page after payment attempt ${index}`);
    }
  });

  test('scripts/demo stops both servers on Ctrl-C', async () => {
    const { code, signal } = await demo.stop();
    assert.equal(signal, null);
    assert.equal(code, 130);
    assert.match(demo.output(), /demo stopped/);
    assert.doesNotMatch(demo.output(), /a server exited/);

    for (const port of [demo.shopPort, demo.platformPort]) {
      const refused = await new Promise((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.on('connect', () => {
          socket.destroy();
          resolve(false);
        });
        socket.on('error', () => resolve(true));
      });
      assert.equal(refused, true, `port ${port} still accepts connections`);
    }
  });
});
