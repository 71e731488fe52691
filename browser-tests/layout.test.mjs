// The card form's layout in real Chromium, on a phone-sized viewport and on a desktop. Long card
// numbers stay fully visible beside the brand name. The expiry date and security code inputs line
// up whatever their labels and messages do.
//
// Needs dist/ from scripts/build-browser. Run: node --test browser-tests/
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { collectCspViolations, launchChromium } from './lib/chromium.mjs';
import { startStaticServer } from './lib/static-server.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

// The demo shop's card frame is this wide on a 390 px phone: the page's margins and the frame's
// padding take the rest.
const FRAME_WIDTH_ON_PHONE = 300;

// Public test numbers with the brand each one shows: 16 and 19 digits, short and long names.
const NUMBERS = [
  ['3560000000000006', 'JCB'],
  ['3560000000000000003', 'JCB'],
  ['4111111111111111003', 'Visa'],
  ['6200000000000000003', 'UnionPay'],
];

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

/**
 * Opens the widget test page at `viewport`; `width` narrows the form's container through the
 * CSSOM (which the strict CSP allows). Checks for CSP violations on close.
 */
async function openForm({ viewport, lang, width }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const consoleViolations = collectCspViolations(page);
  await page.goto(`${server.origin}/test/widget.html?lang=${lang}`);
  await page.waitForSelector('body[data-ready=true]');
  if (width !== undefined) {
    await page.$eval('#form', (container, pixels) => container.style.setProperty('width', `${pixels}px`), width);
  }
  page.finish = async () => {
    assert.deepEqual(await page.evaluate(() => window.violations), [], 'securitypolicyviolation events');
    assert.deepEqual(consoleViolations, [], 'CSP messages on the console');
    await context.close();
  };
  return page;
}

/** Returns the top edges of the expiry date and security code inputs. */
function pairTops(page) {
  return page.$$eval('input[name=exp-date], input[name=cvc]', (inputs) =>
    inputs.map((input) => input.getBoundingClientRect().top),
  );
}

describe('layout', () => {
  test('long numbers fit at 390 px', async () => {
    for (const width of [undefined, FRAME_WIDTH_ON_PHONE]) {
      for (const lang of ['ja', 'en']) {
        const page = await openForm({ viewport: PHONE, lang, width });
        const input = page.locator('input[name=cardnumber]');
        for (const [number, brand] of NUMBERS) {
          await input.fill('');
          await input.click();
          await page.keyboard.type(number);

          const seen = await input.evaluate((element) => {
            const badge = document.querySelector('.cs-brand');
            const box = element.getBoundingClientRect();
            const text = box.right - parseFloat(getComputedStyle(element).paddingRight);
            const name = badge.getBoundingClientRect();
            return {
              digits: element.value.replace(/\D/g, '').length,
              brand: badge.textContent,
              scrollWidth: element.scrollWidth,
              clientWidth: element.clientWidth,
              // The name sits in the input's end padding or entirely above the input.
              nameClear: name.left >= text || name.bottom <= box.top,
            };
          });
          const where = `${number.length} digits, ${lang}, container ${width ?? 'full'}`;
          assert.equal(seen.digits, number.length, where);
          assert.equal(seen.brand, brand, where);
          assert.ok(seen.scrollWidth <= seen.clientWidth, `${where}: scrollWidth ${seen.scrollWidth} > clientWidth ${seen.clientWidth}`);
          assert.ok(seen.nameClear, `${where}: brand name overlaps the digits`);
        }
        await page.finish();
      }
    }
  });

  test('pair aligns under wrapped label', async () => {
    const page = await openForm({ viewport: PHONE, lang: 'en', width: FRAME_WIDTH_ON_PHONE });
    // Lines of each label's text, counted from the text's own boxes, not the label's height.
    const lines = await page.$$eval('.cs-pair .cs-label', (labels) =>
      labels.map((label) => {
        const range = document.createRange();
        range.selectNodeContents(label);
        return new Set([...range.getClientRects()].map((box) => Math.round(box.top))).size;
      }),
    );
    assert.deepEqual(lines, [2, 1], 'the expiry label wraps here, the security code label does not');

    const [expiry, cvc] = await pairTops(page);
    assert.equal(expiry, cvc);
    await page.finish();
  });

  test('pair aligns with expiry message', async () => {
    for (const [viewport, lang] of [[DESKTOP, 'en'], [DESKTOP, 'ja'], [PHONE, 'en']]) {
      const page = await openForm({ viewport, lang });
      await page.locator('input[name=exp-date]').click();
      await page.keyboard.type('0120');
      await page.keyboard.press('Tab');

      const shown = await page.$eval('.cs-field-expiry .cs-message', (message) => message.getBoundingClientRect().height);
      assert.ok(shown > 0, `expiry message shown (${viewport.width} px, ${lang})`);
      const [expiry, cvc] = await pairTops(page);
      assert.equal(expiry, cvc, `${viewport.width} px, ${lang}`);
      await page.finish();
    }
  });
});
