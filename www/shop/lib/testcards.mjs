// Test card numbers of the platform's simulated acquirer, shown on the checkout page for the demo's
// users. The platform decides each outcome from the number; this list only repeats its documentation.
// TODO: fill in from the simulated acquirer's table once the service is in the tree.

export const TEST_CARDS = [];

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
