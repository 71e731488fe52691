// Accessibility (axe-core) and Content-Security-Policy checks of the demo shop's pages and the card
// frame inside them, in Japanese and English, with screenshots saved to test-results/.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import axe from 'axe-core';

import { CARDS, FUTURE_EXPIRY } from './cards.mjs';
import { RESULTS_DIR, startBrowser, startDemo } from './harness.mjs';
import { ShopPage } from './shop-page.mjs';

const SCREENSHOT_DIR = join(RESULTS_DIR, 'screenshots');

// Records CSP violations in every page and frame, whatever its origin.
async function recordPageProblems(context) {
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__cspViolations.push(`${location.origin}: ${event.violatedDirective} blocked ${event.blockedURI || 'inline code'}`);
    });
  });
}

async function cspViolations(page) {
  const all = [];
  for (const frame of page.frames()) {
    all.push(...(await frame.evaluate(() => window.__cspViolations ?? [])));
  }
  return all;
}

// Runs axe-core on the page and every frame in it (the card frame included), the way
// @axe-core/playwright does: inject axe into each frame, then run from the top document. Returns
// the violations and how many checked elements were inside a frame (their target has one selector
// per frame level).
async function runAxe(page) {
  for (const frame of page.frames()) {
    await frame.evaluate(axe.source);
    // axe talks to frames by postMessage, by default only to frames of its own origin; the card
    // frame is on the platform's origin.
    await frame.evaluate(() => window.axe.configure({ allowedOrigins: ['<unsafe_all_origins>'] }));
  }
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations', 'passes'] }));

  const violations = results.violations.map(
    (violation) => `${violation.id} (${violation.impact}): ${violation.help}: ${violation.nodes.map((node) => JSON.stringify(node.target)).join(', ')}`,
  );
  const nodesInFrames = results.passes.flatMap((rule) => rule.nodes).filter((node) => node.target.length > 1).length;
  return { violations, nodesInFrames };
}

async function axeViolations(page) {
  return (await runAxe(page)).violations;
}

describe('accessibility and CSP of the demo pages', () => {
  let demo;
  let browser;
  let page;
  const pageErrors = [];

  before(async () => {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    demo = await startDemo();
    browser = await startBrowser();
    await recordPageProblems(browser.context);
    page = await browser.context.newPage();
    page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
  });

  after(async () => {
    await browser?.close();
    await demo?.stop();
    demo?.removeDataDir();
  });

  for (const locale of ['ja', 'en']) {
    test(`product page in ${locale} has no axe violations`, async () => {
      await page.goto(`${demo.shopUrl}/?lang=${locale}`);
      assert.equal(await page.getAttribute('html', 'lang'), locale);

      await page.screenshot({ path: join(SCREENSHOT_DIR, `product-${locale}.png`), fullPage: true });
      assert.deepEqual(await axeViolations(page), []);
      assert.deepEqual(await cspViolations(page), []);
    });

    test(`product page in ${locale} blocks inline script`, async () => {
      await page.goto(`${demo.shopUrl}/?lang=${locale}`);

      await page.evaluate(() => {
        const script = document.createElement('script');
        script.textContent = 'window.inlineScriptRan = true;';
        document.head.append(script);
      });

      assert.equal(await page.evaluate(() => window.inlineScriptRan ?? false), false);
      const violations = await cspViolations(page);
      assert.equal(violations.length, 1);
      assert.match(violations[0], /script-src/);
    });

    test(`checkout page and frame in ${locale} have no axe violations`, async () => {
      const shop = new ShopPage(page, demo.shopUrl, locale);
      await shop.newOrder();
      assert.equal(page.frames().length, 2, 'the checkout page should hold exactly the card frame');

      await shop.waitForFrameSize();
      await page.screenshot({ path: join(SCREENSHOT_DIR, `checkout-${locale}.png`), fullPage: true });
      const empty = await runAxe(page);
      assert.deepEqual(empty.violations, [], 'empty form');
      assert.ok(empty.nodesInFrames > 0, 'axe checked nothing inside the card frame');

      // Field errors: a number that fails the Luhn check, and no expiry or CVC.
      await shop.typeCard({ number: '3530111333300001', expiry: '', cvc: '' });
      const invalid = await shop.pay();
      assert.equal(invalid.paid, false);
      assert.equal(await shop.frame.getByLabel(shop.labels.number).getAttribute('aria-invalid'), 'true');
      await shop.waitForFrameSize();
      await page.screenshot({ path: join(SCREENSHOT_DIR, `checkout-${locale}-invalid.png`), fullPage: true });
      assert.deepEqual(await axeViolations(page), [], 'form with field errors');
      // Checked before paying: the page removes the frame once the payment is approved.
      assert.deepEqual(await cspViolations(page), []);

      await shop.typeCard({ number: CARDS.jcbApproved.number, expiry: FUTURE_EXPIRY, cvc: CARDS.jcbApproved.cvc });
      const paid = await shop.pay();
      assert.equal(paid.paid, true, paid.error);
      await page.screenshot({ path: join(SCREENSHOT_DIR, `checkout-${locale}-paid.png`), fullPage: true });
      assert.deepEqual(await axeViolations(page), [], 'payment result');

      assert.deepEqual(await cspViolations(page), []);
    });
  }

  test('no page threw an uncaught error', () => {
    assert.deepEqual(pageErrors, []);
  });
});
