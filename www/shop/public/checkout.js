// Checkout page script: mounts the platform's card frame, requests a sealed envelope from it, sends
// only that envelope to the shop server and shows the outcome. The page never sees the card number or
// CVC, because the frame runs on the platform's origin and posts back only ciphertext and display data.
import { BRAND_NAMES, FINAL_CODES, MESSAGES } from './messages.js';

const root = document.querySelector('main.checkout');
const { orderId, sessionId, locale } = root.dataset;
const text = MESSAGES[locale] ?? MESSAGES.ja;

const form = document.getElementById('payment-form');
const payButton = document.getElementById('pay-button');
const statusLine = document.getElementById('payment-status');
const errorLine = document.getElementById('payment-error');
const result = document.getElementById('payment-result');
const panel = {
  fromFrame: document.getElementById('panel-from-frame'),
  header: document.getElementById('panel-header'),
  sent: document.getElementById('panel-sent'),
  received: document.getElementById('panel-received'),
};

function showStatus(message) {
  statusLine.textContent = message;
}

function showError(message) {
  statusLine.textContent = '';
  errorLine.textContent = message;
}

function clearMessages() {
  statusLine.textContent = '';
  errorLine.textContent = '';
}

function pretty(value) {
  return JSON.stringify(value, null, 2);
}

// Decodes the JWE protected header (base64url JSON), the only part of the envelope that is readable
// without the platform's private key.
function decodeProtectedHeader(envelope) {
  const encoded = envelope.split('.')[0].replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(encoded.padEnd(Math.ceil(encoded.length / 4) * 4, '='));
  const bytes = Uint8Array.from(binary, (character) => character.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

function showSealed(sealed) {
  panel.fromFrame.textContent = pretty(sealed);
  try {
    panel.header.textContent = pretty(decodeProtectedHeader(sealed.envelope));
  } catch {
    panel.header.textContent = '-';
  }
}

function showExchange(exchange) {
  if (!exchange) {
    return;
  }
  panel.sent.textContent = pretty(exchange.sent);
  panel.received.textContent = pretty(exchange.received);
}

function formatExpiry(month, year) {
  return `${String(month).padStart(2, '0')}/${String(year).slice(-2)}`;
}

function showPaid(payment, card) {
  card.destroy();
  form.hidden = true;
  clearMessages();
  showStatus(text.paid);

  document.getElementById('result-brand').textContent = BRAND_NAMES[payment.brand] ?? payment.brand;
  document.getElementById('result-number').textContent = `•••• ${payment.last4}`;
  document.getElementById('result-expiry').textContent = formatExpiry(payment.expMonth, payment.expYear);
  document.getElementById('result-payment-id').textContent = payment.id;
  document.getElementById('order-status').textContent = text.statusPaid;
  result.hidden = false;
  document.getElementById('result-title').focus();
}

function showNewOrderLink() {
  if (document.getElementById('new-order-link')) {
    return;
  }
  const link = document.createElement('a');
  link.id = 'new-order-link';
  link.className = 'button';
  link.href = `/?lang=${locale}`;
  link.textContent = text.newOrder;
  form.after(link);
}

async function sendEnvelope(envelope) {
  const response = await fetch(`/api/orders/${encodeURIComponent(orderId)}/payments`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ envelope }),
  });
  try {
    return await response.json();
  } catch {
    return { outcome: 'error', code: 'platform_unavailable' };
  }
}

async function pay(card) {
  payButton.disabled = true;
  form.setAttribute('aria-busy', 'true');
  clearMessages();
  showStatus(text.sealing);

  try {
    let sealed;
    try {
      sealed = await card.submit();
    } catch (error) {
      // The frame has already marked the invalid fields, and its message is in the page's language.
      showError(error?.message || text.cardFormError);
      return;
    }
    showSealed(sealed);

    showStatus(text.paying);
    let answer;
    try {
      answer = await sendEnvelope(sealed.envelope);
    } catch {
      answer = { outcome: 'error', code: 'platform_unavailable' };
    }
    showExchange(answer.exchange);

    if (answer.outcome === 'approved') {
      showPaid(answer.payment, card);
      return;
    }
    showError(text.codes[answer.code] ?? text.fallback);
    if (FINAL_CODES.has(answer.code)) {
      showNewOrderLink();
    }
  } finally {
    form.removeAttribute('aria-busy');
    payButton.disabled = false;
  }
}

function start() {
  if (typeof window.CardSeal?.mount !== 'function') {
    showError(text.embedMissing);
    return;
  }

  const card = window.CardSeal.mount(document.getElementById('card-element'), { sessionId, locale });
  card.on('ready', () => {
    payButton.disabled = false;
  });
  // The frame reports errors that stop the form, such as a session that is already paid. The
  // shop's own wording is used where it has one, so the page reads the same for either source.
  card.on('error', (error) => {
    showError(text.codes[error?.code] ?? (error?.message || text.embedMissing));
    if (FINAL_CODES.has(error?.code)) {
      showNewOrderLink();
    }
  });
  // Enter in the card frame raises 'submit' there; the frame cannot submit this page's form itself.
  card.on('submit', () => {
    if (!payButton.disabled) {
      pay(card);
    }
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!payButton.disabled) {
      pay(card);
    }
  });
}

start();
