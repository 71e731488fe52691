// Drives the demo shop's pages in a Playwright page: places an order, types a card into the hosted
// frame and pays, as a buyer would.

const LABELS = {
  ja: { buy: '購入手続きへ', number: 'カード番号', expiry: '有効期限', cvc: 'セキュリティコード' },
  en: { buy: 'Proceed to checkout', number: 'Card number', expiry: 'Expiry date', cvc: 'Security code' },
};

const STEP_TIMEOUT_MS = 30_000;

export class ShopPage {
  constructor(page, shopUrl, locale = 'ja') {
    this.page = page;
    this.shopUrl = shopUrl;
    this.locale = locale;
    this.labels = LABELS[locale];
  }

  get frame() {
    return this.page.frameLocator('iframe.cardseal-frame');
  }

  // Opens the product page, orders one mug and waits until the card frame is ready.
  async newOrder() {
    await this.page.goto(`${this.shopUrl}/?lang=${this.locale}`);
    await this.page.getByRole('button', { name: this.labels.buy }).click();
    await this.page.waitForURL(/\/orders\/[A-Za-z0-9_-]+/);
    await this.waitForFrameReady();
  }

  // The page enables its pay button on the frame's 'ready' event.
  async waitForFrameReady() {
    await this.page.waitForFunction(() => !document.getElementById('pay-button').disabled, null, { timeout: STEP_TIMEOUT_MS });
  }

  // Waits until the iframe is as tall as the frame's content: the frame reports its height by
  // message after each change, and a screenshot taken in between shows a gap.
  async waitForFrameSize() {
    const frame = this.page.frames().find((candidate) => candidate.url().includes('/frame/'));
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const frameHeight = await this.page.evaluate(() => document.querySelector('iframe.cardseal-frame').getBoundingClientRect().height);
      const contentHeight = await frame.evaluate(() => document.documentElement.scrollHeight);
      if (Math.round(frameHeight) === contentHeight) {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('the card frame did not reach the height of its content');
  }

  async sessionId() {
    return this.page.locator('main.checkout').getAttribute('data-session-id');
  }

  // Types each field key by key. Characters that are not on a US keyboard, such as full-width
  // digits, arrive as text input events, the way an IME commits them.
  async typeCard({ number, expiry, cvc }) {
    const fields = [
      [this.labels.number, number],
      [this.labels.expiry, expiry],
      [this.labels.cvc, cvc],
    ];
    for (const [label, value] of fields) {
      const input = this.frame.getByLabel(label);
      await input.fill('');
      await input.pressSequentially(value);
    }
  }

  // Clicks the pay button and waits for the outcome: the result panel or an error message.
  async pay() {
    await this.page.locator('#pay-button').click();
    await this.page.waitForFunction(
      () => !document.getElementById('payment-result').hidden || document.getElementById('payment-error').textContent !== '',
      null,
      { timeout: STEP_TIMEOUT_MS },
    );
    return this.outcome();
  }

  async outcome() {
    return this.page.evaluate(() => ({
      paid: !document.getElementById('payment-result').hidden,
      error: document.getElementById('payment-error').textContent,
      brand: document.getElementById('result-brand').textContent,
      number: document.getElementById('result-number').textContent,
      expiry: document.getElementById('result-expiry').textContent,
      paymentId: document.getElementById('result-payment-id').textContent,
      orderStatus: document.getElementById('order-status').textContent,
      payButtonDisabled: document.getElementById('pay-button').disabled,
      fromFrame: document.getElementById('panel-from-frame').textContent,
      protectedHeader: document.getElementById('panel-header').textContent,
      sent: document.getElementById('panel-sent').textContent,
      received: document.getElementById('panel-received').textContent,
    }));
  }
}

// Records every message the shop's pages receive (the frame's postMessage traffic), so a test can
// search it. Runs in every page and frame of the context, and records only on the shop's origin.
export async function recordShopMessages(context, shopOrigin) {
  await context.addInitScript((origin) => {
    if (location.origin !== origin) {
      return;
    }
    window.__shopMessages = [];
    window.addEventListener(
      'message',
      (event) => {
        let text;
        try {
          text = JSON.stringify(event.data);
        } catch {
          text = String(event.data);
        }
        window.__shopMessages.push(`${event.origin} ${text}`);
      },
      true,
    );
  }, shopOrigin);
}

// Returns the shop page's current DOM and the messages it received.
export async function shopPageSnapshot(page) {
  return page.evaluate(() => [document.documentElement.outerHTML, ...(window.__shopMessages ?? [])].join('\n'));
}
