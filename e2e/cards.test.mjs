// Checks the search for card numbers and CVCs that the end-to-end privacy test relies on. It must
// find them in every form they could leak in, and must not mistake timestamps or ciphertext for them.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CARDS, findSecrets, toFullWidth } from './cards.mjs';

const card = CARDS.jcbApproved;

test('card number found in every written form', () => {
  const forms = [
    card.number,
    toFullWidth(card.number),
    '3530 1113 3330 0000',
    '3530-1113-3330-0000',
    '3530\u00a01113\u200b3330 0000',
    `{"number":"${card.number}"}`,
  ];
  for (const text of forms) {
    assert.deepEqual(findSecrets(text, [card]), ['card number ending 0000'], text);
  }
});

test('CVC found as a value of its own', () => {
  const forms = [`{"cvc":"${card.cvc}"}`, `{"cvc":${card.cvc}}`, `"security_code": ${card.cvc}`, `cvc=${card.cvc}&x=1`, `cvc ${card.cvc}`, toFullWidth(card.cvc), `[${card.cvc}]`];
  for (const text of forms) {
    assert.deepEqual(findSecrets(text, [card]), ['CVC of the card ending 0000'], text);
  }
});

test('CVC inside other values not reported', () => {
  const texts = [
    `2026-12-04T20:34:21.${card.cvc}Z`,
    `"duration_ms":${card.cvc}`,
    `eyJhbGciOiJSU0${card.cvc}abc`,
    `amount 1${card.cvc}`,
    `port :8${card.cvc}`,
  ];
  for (const text of texts) {
    assert.deepEqual(findSecrets(text, [card]), [], text);
  }
});

test('last four digits alone not reported', () => {
  assert.deepEqual(findSecrets('•••• 0000, brand jcb, 353011', [card]), []);
});
