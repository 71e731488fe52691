// The card form widget in real Chromium: typing, deleting, pasting and IME input with the caret
// checked, brand-aware grouping and length limits, expiry formats, messages in both languages,
// keyboard-only use, and no CSP violation under a policy without 'unsafe-inline'.
//
// Needs dist/ from scripts/build-browser. Run: node --test browser-tests/
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import axe from 'axe-core';

import { collectCspViolations, launchChromium } from './lib/chromium.mjs';
import { startStaticServer } from './lib/static-server.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');

let server;
let browser;

before(async () => {
  await access(join(dist, 'pkg', 'cardseal.js')).catch(() => {
    throw new Error('dist/pkg/cardseal.js is missing: run scripts/build-browser first');
  });
  server = await startStaticServer({ mounts: { '/pkg/': join(dist, 'pkg'), '/test/': join(root, 'www', 'test') } });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Opens the widget test page with `query` options; checks for CSP violations on close. */
async function openForm(query = '') {
  const context = await browser.newContext();
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin });
  const page = await context.newPage();
  const consoleViolations = collectCspViolations(page);
  await page.goto(`${server.origin}/test/widget.html${query}`);
  await page.waitForSelector('body[data-ready=true]');
  page.finish = async () => {
    assert.deepEqual(await page.evaluate(() => window.violations), [], 'securitypolicyviolation events');
    assert.deepEqual(consoleViolations, [], 'CSP messages on the console');
    await context.close();
  };
  return page;
}

const selector = (name) => `input[name=${name}]`;

/** Returns the field's value with `|` at the caret. */
function field(page, name) {
  return page.$eval(selector(name), (input) => {
    const { value, selectionStart: start } = input;
    return `${value.slice(0, start)}|${value.slice(start)}`;
  });
}

async function setCaret(page, name, position) {
  await page.$eval(selector(name), (input, at) => {
    input.focus();
    input.setSelectionRange(at, at);
  }, position);
}

async function typeInto(page, name, text) {
  await page.locator(selector(name)).click();
  await page.keyboard.type(text);
}

function message(page, name) {
  return page.$eval(selector(name), (input) => document.getElementById(input.getAttribute('aria-describedby')).textContent);
}

function ariaInvalid(page, name) {
  return page.$eval(selector(name), (input) => input.getAttribute('aria-invalid'));
}

function brand(page) {
  return page.$eval('.cs-brand', (badge) => [badge.textContent, badge.dataset.brand]);
}

/** Delivers `segments` through the IME as a Japanese IME commits them: composed, then committed. */
async function compose(page, segments) {
  const cdp = await page.context().newCDPSession(page);
  for (const segment of segments) {
    for (let length = 1; length <= segment.length; length++) {
      const text = segment.slice(0, length);
      await cdp.send('Input.imeSetComposition', { text, selectionStart: length, selectionEnd: length });
    }
    await cdp.send('Input.insertText', { text: segment });
  }
  await cdp.detach();
}

describe('card number', () => {
  test('typing groups in fours with caret at end', async () => {
    const page = await openForm();
    await typeInto(page, 'cardnumber', '4242424242424242');
    assert.equal(await field(page, 'cardnumber'), '4242 4242 4242 4242|');
    assert.deepEqual(await brand(page), ['Visa', 'visa']);
    await page.finish();
  });

  test('typing stops at the brand maximum length', async () => {
    const page = await openForm();
    await typeInto(page, 'cardnumber', '55555555555544449');
    assert.equal(await field(page, 'cardnumber'), '5555 5555 5555 4444|');
    await typeInto(page, 'cvc', '12345');
    assert.equal(await field(page, 'cvc'), '123|');
    await page.finish();
  });

  test('typing mid-number keeps the caret after the digit', async () => {
    const page = await openForm();
    await typeInto(page, 'cardnumber', '42424242');
    await setCaret(page, 'cardnumber', 2);
    await page.keyboard.type('1');
    assert.equal(await field(page, 'cardnumber'), '421|4 2424 2');
    await setCaret(page, 'cardnumber', 4);
    await page.keyboard.type('9');
    assert.equal(await field(page, 'cardnumber'), '4214 9|242 42');
    await page.finish();
  });

  test('backspace and delete next to a space remove a digit', async () => {
    const page = await openForm();
    await typeInto(page, 'cardnumber', '424242424242');
    assert.equal(await field(page, 'cardnumber'), '4242 4242 4242|');

    await setCaret(page, 'cardnumber', 5);
    await page.keyboard.press('Backspace');
    assert.equal(await field(page, 'cardnumber'), '424|4 2424 242');

    await setCaret(page, 'cardnumber', 4);
    await page.keyboard.press('Delete');
    assert.equal(await field(page, 'cardnumber'), '4244| 4242 42');

    await setCaret(page, 'cardnumber', 11);
    await page.keyboard.press('Backspace');
    assert.equal(await field(page, 'cardnumber'), '4244 4242| 2');
    await page.finish();
  });

  test('pasting mid-number puts the caret after the paste', async () => {
    const page = await openForm();
    await typeInto(page, 'cardnumber', '3599');
    await page.evaluate(() => navigator.clipboard.writeText('30-1113 3330'));
    await setCaret(page, 'cardnumber', 2);
    await page.keyboard.press('Control+V');
    assert.equal(await field(page, 'cardnumber'), '3530 1113 3330| 99');
    assert.deepEqual(await brand(page), ['JCB', 'jcb']);
    await page.finish();
  });

  test('pasting more digits than the brand allows is cut', async () => {
    const page = await openForm();
    await page.evaluate(() => navigator.clipboard.writeText('3782 822463 10005 777'));
    await page.locator(selector('cardnumber')).click();
    await page.keyboard.press('Control+V');
    assert.equal(await field(page, 'cardnumber'), '3782 822463 10005|');
    await page.finish();
  });

  test('full-width digits from an IME become ASCII on commit', async () => {
    const page = await openForm('?lang=ja');
    await page.locator(selector('cardnumber')).click();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Input.imeSetComposition', { text: '３５', selectionStart: 2, selectionEnd: 2 });
    // While the IME composes, the field is left alone.
    assert.equal(await field(page, 'cardnumber'), '３５|');
    await cdp.detach();

    await compose(page, ['３５３０', '１１１３', '３３３０', '００００']);
    assert.equal(await field(page, 'cardnumber'), '3530 1113 3330 0000|');
    assert.deepEqual(await brand(page), ['JCB', 'jcb']);
    await page.finish();
  });

  test('full-width digits inserted without composition are converted', async () => {
    const page = await openForm();
    await page.locator(selector('cardnumber')).click();
    await page.keyboard.insertText('４２４２４２');
    assert.equal(await field(page, 'cardnumber'), '4242 42|');
    await page.finish();
  });

  test('amex groups 4-6-5 and takes a four-digit code', async () => {
    const page = await openForm();
    await typeInto(page, 'cardnumber', '378282246310005');
    assert.equal(await field(page, 'cardnumber'), '3782 822463 10005|');
    assert.deepEqual(await brand(page), ['American Express', 'amex']);
    await typeInto(page, 'cvc', '12345');
    assert.equal(await field(page, 'cvc'), '1234|');
    await page.finish();
  });

  test('14-digit diners groups 4-6-4', async () => {
    const page = await openForm();
    await typeInto(page, 'cardnumber', '36227206271667');
    assert.equal(await field(page, 'cardnumber'), '3622 720627 1667|');
    assert.deepEqual(await brand(page), ['Diners Club', 'diners']);
    await page.keyboard.press('Tab');
    assert.equal(await message(page, 'cardnumber'), '');
    await page.finish();
  });

  test('brand changes are announced in the live region', async () => {
    const page = await openForm('?lang=ja');
    await typeInto(page, 'cardnumber', '35');
    assert.equal(await page.$eval('[role=status]', (live) => live.textContent), 'カードの種類: JCB');
    await page.finish();
  });
});

describe('expiry date', () => {
  test('typed without a slash gets one', async () => {
    const page = await openForm();
    await typeInto(page, 'exp-date', '1230');
    assert.equal(await field(page, 'exp-date'), '12/30|');
    await page.finish();
  });

  test('typed with a slash keeps it', async () => {
    const page = await openForm();
    await typeInto(page, 'exp-date', '12/');
    assert.equal(await field(page, 'exp-date'), '12/|');
    await page.keyboard.type('2030');
    assert.equal(await field(page, 'exp-date'), '12/2030|');
    await page.finish();
  });

  test('single-digit months are padded', async () => {
    const page = await openForm();
    await typeInto(page, 'exp-date', '4');
    assert.equal(await field(page, 'exp-date'), '04|');
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Backspace');
    await page.keyboard.type('1/3');
    assert.equal(await field(page, 'exp-date'), '01/3|');
    await page.finish();
  });

  test('backspace over the slash removes the month digit', async () => {
    const page = await openForm();
    await typeInto(page, 'exp-date', '123');
    await page.keyboard.press('Backspace');
    assert.equal(await field(page, 'exp-date'), '12/|');
    await page.keyboard.press('Backspace');
    assert.equal(await field(page, 'exp-date'), '1|');
    await page.finish();
  });

  test('full-width expiry from an IME', async () => {
    const page = await openForm();
    await page.locator(selector('exp-date')).click();
    await compose(page, ['１２／３０']);
    assert.equal(await field(page, 'exp-date'), '12/30|');
    await page.finish();
  });

  test('past expiry is reported on blur in both languages', async () => {
    for (const [lang, text] of [['ja', 'このカードは有効期限が切れています。'], ['en', 'This card has expired.']]) {
      const page = await openForm(`?lang=${lang}`);
      await typeInto(page, 'exp-date', '0120');
      await page.keyboard.press('Tab');
      assert.equal(await message(page, 'exp-date'), text);
      assert.equal(await ariaInvalid(page, 'exp-date'), 'true');
      await page.finish();
    }
  });
});

describe('messages', () => {
  test('shown on blur, not while typing, and cleared once fixed', async () => {
    const page = await openForm('?lang=ja');
    await typeInto(page, 'cardnumber', '4242424242424241');
    assert.equal(await message(page, 'cardnumber'), '', 'no message while typing');
    assert.equal(await ariaInvalid(page, 'cardnumber'), 'false');

    await page.keyboard.press('Tab');
    assert.equal(await message(page, 'cardnumber'), 'カード番号が正しくありません。入力ミスがないかご確認ください。');
    assert.equal(await ariaInvalid(page, 'cardnumber'), 'true');

    await page.locator(selector('cardnumber')).click();
    await page.keyboard.press('End');
    await page.keyboard.press('Backspace');
    // Messages change on blur and submit only; typing just clears one that the edit fixed.
    assert.equal(await message(page, 'cardnumber'), 'カード番号が正しくありません。入力ミスがないかご確認ください。');
    await page.keyboard.type('2');
    assert.equal(await message(page, 'cardnumber'), '');
    assert.equal(await ariaInvalid(page, 'cardnumber'), 'false');
    await page.finish();
  });

  test('english messages', async () => {
    const page = await openForm('?lang=en');
    await typeInto(page, 'cardnumber', '4242');
    await page.keyboard.press('Tab');
    assert.equal(await message(page, 'cardnumber'), 'The card number is incomplete.');
    await typeInto(page, 'cvc', '1');
    await page.keyboard.press('Tab');
    assert.equal(await message(page, 'cvc'), 'The security code of Visa cards has 3 digits.');
    await page.finish();
  });

  test('an empty field shows nothing on blur', async () => {
    const page = await openForm('?lang=en');
    await page.locator(selector('cardnumber')).click();
    await page.keyboard.press('Tab');
    assert.equal(await message(page, 'cardnumber'), '');
    await page.finish();
  });

  test('holder name in kana asks for romaji', async () => {
    const page = await openForm('?lang=ja');
    await typeInto(page, 'ccname', 'やまだ');
    await page.keyboard.press('Shift+Tab');
    assert.equal(await message(page, 'ccname'), 'カード名義はカードに印字されているとおりローマ字で入力してください。');
    await page.finish();
  });

  test('holder name is shown upper-case after blur', async () => {
    const page = await openForm();
    await typeInto(page, 'ccname', 'taro yamada');
    await page.keyboard.press('Shift+Tab');
    assert.equal(await page.$eval(selector('ccname'), (input) => input.value), 'TARO YAMADA');
    await page.finish();
  });

  test('validate shows every message, announces and focuses the first', async () => {
    const page = await openForm('?lang=en&holder=required');
    const codes = await page.evaluate(() => window.cardForm.validate().map((problem) => problem.code));
    assert.deepEqual(codes, ['number_missing', 'expiry_missing', 'cvc_missing', 'holder_missing']);
    assert.equal(await message(page, 'cvc'), 'Enter the security code.');
    assert.equal(await message(page, 'ccname'), 'Enter the name on the card.');
    assert.equal(await page.$eval('[role=status]', (live) => live.textContent), 'Check the card details.Enter the card number.');
    assert.equal(await page.evaluate(() => document.activeElement.name), 'cardnumber');
    await page.finish();
  });
});

describe('keyboard and events', () => {
  test('a card filled by keyboard alone is complete and Enter submits', async () => {
    const page = await openForm('?lang=ja');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.name), 'cardnumber');
    await page.keyboard.type('3530111333300000');
    await page.keyboard.press('Tab');
    await page.keyboard.type('1240');
    await page.keyboard.press('Tab');
    await page.keyboard.type('123');
    await page.keyboard.press('Tab');
    await page.keyboard.type('TARO YAMADA');
    assert.equal(await page.evaluate(() => document.activeElement.name), 'ccname');

    const last = await page.evaluate(() => window.changes.at(-1));
    assert.deepEqual(last, { brand: 'jcb', complete: true, empty: false });
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => window.submits), 1);
    await page.finish();
  });

  test('enter that commits an IME conversion does not submit', async () => {
    const page = await openForm();
    await page.locator(selector('ccname')).click();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Input.imeSetComposition', { text: 'たろう', selectionStart: 3, selectionEnd: 3 });
    await page.keyboard.press('Enter');
    await cdp.detach();
    assert.equal(await page.evaluate(() => window.submits), 0);
    await page.finish();
  });

  test('change reports the brand and emptiness', async () => {
    const page = await openForm();
    await typeInto(page, 'cardnumber', '4');
    await page.keyboard.press('Backspace');
    const changes = await page.evaluate(() => window.changes);
    assert.deepEqual(changes, [
      { complete: false, empty: true },
      { brand: 'visa', complete: false, empty: false },
      { complete: false, empty: true },
    ]);
    await page.finish();
  });
});

describe('styling', () => {
  test('style options reach the inputs through custom properties', async () => {
    const style = encodeURIComponent(JSON.stringify({ colorText: 'rgb(1, 2, 3)', fontSize: '20px', borderRadius: '0px' }));
    const page = await openForm(`?style=${style}`);
    const computed = await page.$eval(selector('cardnumber'), (input) => {
      const css = getComputedStyle(input);
      return [css.color, css.fontSize, css.borderTopLeftRadius];
    });
    assert.deepEqual(computed, ['rgb(1, 2, 3)', '20px', '0px']);
    await page.finish();
  });

  test('the form writes no style attribute without style options', async () => {
    const page = await openForm();
    assert.equal(await page.$$eval('[style]', (elements) => elements.length), 0);
    await page.finish();
  });
});

describe('accessibility', () => {
  test('axe finds no violation, with and without messages', async () => {
    for (const lang of ['ja', 'en']) {
      const page = await openForm(`?lang=${lang}&holder=required`);
      await page.evaluate(axe.source);
      const run = () =>
        page.evaluate(async () => {
          const results = await window.axe.run(document);
          return results.violations.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target).join(', ')}`);
        });
      assert.deepEqual(await run(), [], `${lang}, empty form`);
      await page.evaluate(() => window.cardForm.validate());
      assert.deepEqual(await run(), [], `${lang}, every field with a message`);
      await page.finish();
    }
  });
});
