// Test card numbers of the platform's simulated acquirer, shown on the checkout page for the demo's
// users. The platform decides each outcome from the number; this list only repeats its documentation.
// The full table for every brand is in README.md.

export const TEST_CARDS = [
  { number: '3560 0000 0000 0006', brand: 'JCB', outcome: 'approved' },
  { number: '3560 0000 0000 0014', brand: 'JCB', outcome: 'card_declined' },
  { number: '3560 0000 0000 0022', brand: 'JCB', outcome: 'insufficient_funds' },
  { number: '3560 0000 0000 0030', brand: 'JCB', outcome: 'expired_card' },
  { number: '3560 0000 0000 0048', brand: 'JCB', outcome: 'processing_error' },
  { number: '3560 0000 0000 0055', brand: 'JCB', outcome: 'slow' },
  { number: '4560 0000 0000 0004', brand: 'Visa', outcome: 'approved' },
  { number: '5560 0000 0000 0001', brand: 'Mastercard', outcome: 'approved' },
  { number: '3760 000000 00006', brand: 'American Express', outcome: 'approved' },
  { number: '3660 000000 0005', brand: 'Diners Club', outcome: 'approved' },
];

export const OUTCOME_TEXT = {
  ja: {
    approved: '承認',
    card_declined: '拒否（カードが承認されない）',
    insufficient_funds: '拒否（利用可能額不足）',
    expired_card: '拒否（有効期限切れ）',
    processing_error: 'エラー（処理エラー）',
    slow: '承認（応答が遅い）',
  },
  en: {
    approved: 'Approved',
    card_declined: 'Declined (card declined)',
    insufficient_funds: 'Declined (insufficient funds)',
    expired_card: 'Declined (expired card)',
    processing_error: 'Error (processing error)',
    slow: 'Approved (slow response)',
  },
};
