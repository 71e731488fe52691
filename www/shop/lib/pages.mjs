// HTML pages of the demo shop. They carry no inline script or style, so the strict
// Content-Security-Policy set by the server needs no 'unsafe-inline'.
import { MAX_QUANTITY, PRODUCT } from './catalog.mjs';
import { html } from './html.mjs';
import { OUTCOME_TEXT, TEST_CARDS } from './testcards.mjs';
import { TEXT, fill, formatAmount } from './text.mjs';

function layout({ locale, title, path, head = '', body }) {
  const text = TEXT[locale];
  const otherLocale = locale === 'ja' ? 'en' : 'ja';

  return html`<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} | ${text.shopName}</title>
<link rel="stylesheet" href="/static/shop.css">
<link rel="icon" href="/static/mug.svg" type="image/svg+xml">
${head}
</head>
<body>
<header class="site-header">
  <a class="site-name" href="/?lang=${locale}">${text.shopName} <span class="site-tagline">${text.shopTagline}</span></a>
  <nav aria-label="${text.languageNav}">
    <a class="language-switch" href="${path}?lang=${otherLocale}" lang="${otherLocale}" hreflang="${otherLocale}"
       aria-label="${text.switchLanguageLabel}">${text.switchLanguage}</a>
  </nav>
</header>
${body}
<footer class="site-footer"><p>${text.footer}</p></footer>
</body>
</html>
`.toString();
}

export function productPage({ locale, shopOrigin, platformOrigin }) {
  const text = TEXT[locale];
  const quantities = Array.from({ length: MAX_QUANTITY }, (_, index) => index + 1);

  const body = html`<main id="main" class="page">
  <p class="demo-notice">${text.demoNotice}</p>
  <article class="product">
    <img class="product-image" src="${PRODUCT.image}" alt="${text.imageAlt}" width="320" height="320">
    <div class="product-details">
      <h1>${PRODUCT.name[locale]}</h1>
      <p class="price">${formatAmount(PRODUCT.priceYen, 'JPY', locale)}<span class="tax">${text.taxIncluded}</span></p>
      <p>${PRODUCT.description[locale]}</p>
      <form class="order-form" method="post" action="/orders">
        <input type="hidden" name="lang" value="${locale}">
        <label for="quantity">${text.quantity}</label>
        <select id="quantity" name="quantity">
          ${quantities.map((quantity) => html`<option value="${quantity}">${quantity}</option>`)}
        </select>
        <button class="button primary" type="submit">${text.buy}</button>
      </form>
    </div>
  </article>
  <section class="about" aria-labelledby="about-title">
    <h2 id="about-title">${text.aboutTitle}</h2>
    <ol>
      ${text.about.map((line) => html`<li>${fill(line, { shop: shopOrigin, platform: platformOrigin })}</li>`)}
    </ol>
  </section>
</main>`;

  return layout({ locale, title: PRODUCT.name[locale], path: '/', body });
}

function testCardsSection(locale) {
  const text = TEXT[locale];

  return html`<section class="test-cards" aria-labelledby="test-cards-title">
    <h2 id="test-cards-title">${text.testCardsTitle}</h2>
    <p>${text.testCardsIntro}</p>
    <table>
      <thead><tr><th scope="col">${text.testCardNumber}</th><th scope="col">${text.testCardBrand}</th><th scope="col">${text.testCardOutcome}</th></tr></thead>
      <tbody>
        ${TEST_CARDS.map(
          (card) => html`<tr><td class="mono">${card.number}</td><td>${card.brand}</td><td>${OUTCOME_TEXT[locale][card.outcome]}</td></tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

export function checkoutPage({ locale, order, platformOrigin, embedIntegrity }) {
  const text = TEXT[locale];
  const total = formatAmount(order.amount, order.currency, locale);
  const unitPrice = formatAmount(PRODUCT.priceYen, order.currency, locale);
  const paid = order.status === 'paid';

  // The embed script is a classic script, so it has run before the deferred module script starts.
  const head = html`<script src="${platformOrigin}/embed/cardseal.js" integrity="${embedIntegrity}" crossorigin="anonymous"></script>
<script type="module" src="/static/checkout.js"></script>`;

  const body = html`<main id="main" class="page checkout"
  data-order-id="${order.id}" data-session-id="${order.sessionId}" data-locale="${locale}">
  <p class="demo-notice">${text.demoNotice}</p>
  <h1>${text.checkoutTitle}</h1>
  <div class="checkout-grid">
    <section class="box summary" aria-labelledby="summary-title">
      <h2 id="summary-title">${text.orderSummary}</h2>
      <div class="summary-item">
        <img src="${PRODUCT.image}" alt="" width="72" height="72">
        <div>
          <p class="summary-name">${PRODUCT.name[locale]}</p>
          <p>${unitPrice} × ${order.quantity}</p>
        </div>
      </div>
      <dl class="facts">
        <div><dt>${text.orderReference}</dt><dd class="mono" id="order-reference">${order.reference}</dd></div>
        <div><dt>${text.orderStatus}</dt><dd id="order-status">${paid ? text.statusPaid : text.statusAwaiting}</dd></div>
        <div class="total"><dt>${text.total}</dt><dd id="order-total">${total}</dd></div>
      </dl>
    </section>
    <section class="box payment" aria-labelledby="card-title">
      <h2 id="card-title">${text.cardTitle}</h2>
      <p class="note">${fill(text.cardNote, { platform: platformOrigin })}</p>
      <form id="payment-form" class="payment-form">
        <div id="card-element" class="card-element"></div>
        <p id="payment-status" class="status" role="status"></p>
        <p id="payment-error" class="error" role="alert"></p>
        <button id="pay-button" class="button primary" type="submit" disabled>${fill(text.pay, { amount: total })}</button>
      </form>
      <section id="payment-result" class="result" aria-labelledby="result-title" hidden>
        <h3 id="result-title" tabindex="-1">${text.resultTitle}</h3>
        <dl class="facts">
          <div><dt>${text.resultBrand}</dt><dd id="result-brand"></dd></div>
          <div><dt>${text.resultNumber}</dt><dd class="mono" id="result-number"></dd></div>
          <div><dt>${text.resultExpiry}</dt><dd class="mono" id="result-expiry"></dd></div>
          <div><dt>${text.resultPaymentId}</dt><dd class="mono" id="result-payment-id"></dd></div>
        </dl>
        <p><a class="button" href="/?lang=${locale}">${text.newOrder}</a></p>
      </section>
    </section>
  </div>
  <section class="box panel" aria-labelledby="panel-title">
    <h2 id="panel-title">${text.panelTitle}</h2>
    <p>${text.panelIntro}</p>
    <h3>${text.panelFromFrame}</h3>
    <pre id="panel-from-frame" class="mono">${text.panelEmpty}</pre>
    <h4>${text.panelHeader}</h4>
    <pre id="panel-header" class="mono">${text.panelEmpty}</pre>
    <h3>${text.panelSent}</h3>
    <pre id="panel-sent" class="mono">${text.panelEmpty}</pre>
    <h3>${text.panelReceived}</h3>
    <pre id="panel-received" class="mono">${text.panelEmpty}</pre>
  </section>
  ${testCardsSection(locale)}
</main>`;

  return layout({ locale, title: text.checkoutTitle, path: `/orders/${order.id}`, head, body });
}

export function messagePage({ locale, title, message, path = '/' }) {
  const text = TEXT[locale];

  const body = html`<main id="main" class="page">
  <h1>${title}</h1>
  <p>${message}</p>
  <p><a class="button" href="/?lang=${locale}">${text.backToProduct}</a></p>
</main>`;

  return layout({ locale, title, path, body });
}
