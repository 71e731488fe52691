// Hostile requests to the demo shop's endpoints, with card digits in the bodies, the form fields and
// the URLs. The shop may log only the fields it expects after checking them, so none of the digits
// may reach its log.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { findSecrets } from './cards.mjs';
import { startDemo } from './harness.mjs';

// Public test card numbers that no other e2e test types, with CVCs made up for this test.
const HOSTILE_CARDS = [
  { number: '4111111111111111', cvc: '987', last4: '1111' },
  { number: '5555555555554444', cvc: '6021', last4: '4444' },
];
const [VISA, MASTERCARD] = HOSTILE_CARDS;
// A field name the shop does not know, which must not be logged either.
const UNKNOWN_FIELD = 'pan_sent_by_a_skimmer';

function base64url(value) {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('demo shop log', () => {
  let demo;
  let orderPath;

  async function post(path, body, contentType) {
    const response = await fetch(`${demo.shopUrl}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': contentType, Origin: demo.shopUrl },
      body,
      redirect: 'manual',
    });
    await response.arrayBuffer();
    return response;
  }

  function postJson(path, body) {
    return post(path, body, 'application/json');
  }

  before(async () => {
    demo = await startDemo();
  });

  after(async () => {
    await demo?.stop();
    demo?.removeDataDir();
  });

  test('order form with card fields', async () => {
    const form = new URLSearchParams({ quantity: '1', lang: 'en', card_number: VISA.number, cvc: VISA.cvc, [UNKNOWN_FIELD]: MASTERCARD.number });
    const created = await post('/orders', form.toString(), 'application/x-www-form-urlencoded');
    assert.equal(created.status, 303);
    orderPath = new URL(created.headers.get('location'), demo.shopUrl).pathname;
    assert.match(orderPath, /^\/orders\/[A-Za-z0-9_-]+$/);

    const rejected = await post(`/orders?card=${MASTERCARD.number}`, `quantity=${MASTERCARD.number}&cvc=${MASTERCARD.cvc}`, 'application/x-www-form-urlencoded');
    assert.equal(rejected.status, 400);
  });

  test('payment bodies with card digits', async () => {
    assert.ok(orderPath, 'the order form test created no order');
    const known = `/api${orderPath}/payments`;

    // Malformed JSON, as in a truncated request.
    const truncated = await postJson('/api/orders/nope/payments', `{"envelope": "${VISA.number}", "cvc":"${VISA.cvc}"`);
    assert.equal(truncated.status, 400);
    const truncatedKnown = await postJson(known, `{"envelope": "${VISA.number}", "cvc":"${VISA.cvc}"`);
    assert.equal(truncatedKnown.status, 400);

    // Well-formed JSON whose envelope is not an envelope.
    const notEnvelope = await postJson(known, JSON.stringify({ envelope: VISA.number, cvc: VISA.cvc, [UNKNOWN_FIELD]: MASTERCARD.number }));
    assert.equal(notEnvelope.status, 400);

    // An order id made of card digits, with an envelope-shaped body.
    const digitsId = await postJson(`/api/orders/${MASTERCARD.number}/payments?cvc=${MASTERCARD.cvc}`, JSON.stringify({ envelope: 'a.b.c.d.e' }));
    assert.equal(digitsId.status, 404);

    // Envelope-shaped, with card digits in the header and parts, and an unknown field beside it:
    // the shop relays it and the platform rejects it.
    const header = base64url({ alg: VISA.number, enc: 'A256GCM', kid: VISA.number, typ: 'cardseal-v1+jwe', sid: MASTERCARD.number, cvc: VISA.cvc });
    const envelope = [header, base64url(VISA.number), VISA.number, MASTERCARD.number, MASTERCARD.cvc].join('.');
    const relayed = await postJson(known, JSON.stringify({ envelope, cvc: MASTERCARD.cvc, [UNKNOWN_FIELD]: VISA.number }));
    assert.equal(relayed.status, 200);
  });

  test('shop log has no card digits', () => {
    const log = demo.shopLog();
    const events = log
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line));

    assert.deepEqual(findSecrets(log, HOSTILE_CARDS), []);
    assert.doesNotMatch(log, new RegExp(UNKNOWN_FIELD));
    assert.doesNotMatch(log, /card_number|"cvc"/);
    assert.ok(events.some((event) => event.event === 'order_form_received' && event.quantity === 1));
    assert.equal(events.filter((event) => event.event === 'payment_request_rejected' && event.body === 'malformed').length, 3);
    const received = events.filter((event) => event.event === 'payment_request_received');
    assert.equal(received.length, 1);
    assert.equal(received[0].envelope.header.alg, 'unexpected');
    assert.equal(received[0].envelope.header.sid_matches_order, false);
  });
});
