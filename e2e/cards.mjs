// Public test card numbers for the end-to-end tests, and the search for them in captured data.
//
// The checkout page lists some of the simulated acquirer's test cards, so every page the shop
// serves contains those numbers. The tests type numbers that are NOT in that list; otherwise the
// search for typed numbers in the shop's traffic would find the list itself.

const FULL_WIDTH_ZERO = 0xff10;

// A future expiry, three years ahead, as MM/YY.
const EXPIRY_YEAR = (new Date().getFullYear() + 3) % 100;
export const FUTURE_EXPIRY = `12/${String(EXPIRY_YEAR).padStart(2, '0')}`;
export const FUTURE_EXPIRY_YEAR = 2000 + EXPIRY_YEAR;

export const CARDS = {
  // JCB's published test number: not a test prefix of the simulated acquirer, which approves it.
  jcbApproved: { number: '3530111333300000', cvc: '739', brand: 'jcb', last4: '0000' },
  // Simulated acquirer: Visa prefix 4560000000000, outcome code 01 (card_declined).
  visaDeclined: { number: '4560000000000012', cvc: '482', brand: 'visa', last4: '0012' },
  // Simulated acquirer: Mastercard prefix 5560000000000, outcome code 03 (expired_card).
  mastercardExpired: { number: '5560000000000035', cvc: '615', brand: 'mastercard', last4: '0035' },
  // Another published JCB test number, only typed with a past expiry, which the form rejects
  // before sealing.
  jcbPastExpiry: { number: '3566002020360505', cvc: '268', brand: 'jcb', last4: '0505' },
  // Published American Express (15 digits, 4-digit CVC) and Diners Club (14 digits) test numbers,
  // approved by the simulated acquirer.
  amexApproved: { number: '378282246310005', cvc: '5917', brand: 'amex', last4: '0005' },
  dinersApproved: { number: '36227206271667', cvc: '357', brand: 'diners', last4: '1667' },
};

export function toFullWidth(text) {
  return text.replace(/[0-9]/g, (digit) => String.fromCharCode(FULL_WIDTH_ZERO + Number(digit)));
}

function digitClass(digit) {
  return `[${digit}${toFullWidth(digit)}]`;
}

// Matches the digits in ASCII or full-width form, with any spaces, hyphens, no-break spaces or
// zero-width characters between them (as a form may display or a log may write them).
export function cardNumberPattern(number) {
  return new RegExp([...number].map(digitClass).join('[\\s\\-\\u00a0\\u200b-\\u200d]*'), 'u');
}

// Matches a CVC written as a value of its own. Digits, letters, '.', ':' and '/' next to it mean it
// is part of something else, such as a timestamp, an amount or base64url text.
export function cvcPattern(cvc) {
  const digits = [...cvc].map(digitClass).join('');
  return new RegExp(`(?<![0-9A-Za-z._:/+\\-\\uff10-\\uff19])${digits}(?![0-9A-Za-z_\\uff10-\\uff19])`, 'u');
}

// Matches a CVC as the value of a field named like one, such as `"cvc":739` or `cvv=739`, which
// the pattern above leaves out because of the ':' or '='.
export function cvcFieldPattern(cvc) {
  const digits = [...cvc].map(digitClass).join('');
  return new RegExp(`(cvc|cvv|csc|cid|security_?code)["']?\\s*[:=]\\s*["']?${digits}(?![0-9])`, 'iu');
}

// Returns a description of each secret found in `text`, or an empty list.
export function findSecrets(text, cards) {
  const found = [];
  for (const card of cards) {
    if (cardNumberPattern(card.number).test(text)) {
      found.push(`card number ending ${card.last4}`);
    }
    if (cvcPattern(card.cvc).test(text) || cvcFieldPattern(card.cvc).test(text)) {
      found.push(`CVC of the card ending ${card.last4}`);
    }
  }
  return found;
}
