// Messages of the checkout page for each payment outcome, in Japanese and English. The codes are the
// platform's decline codes and problem codes, and the shop server's own error codes.

export const BRAND_NAMES = {
  visa: 'Visa',
  mastercard: 'Mastercard',
  amex: 'American Express',
  jcb: 'JCB',
  diners: 'Diners Club',
  discover: 'Discover',
  unionpay: 'UnionPay',
  maestro: 'Maestro',
  mir: 'Mir',
};

// Codes after which this order cannot be paid any more: the buyer has to start a new order.
export const FINAL_CODES = new Set(['session_used', 'session_expired', 'session_not_found', 'session_mismatch', 'order_not_found']);

export const MESSAGES = {
  ja: {
    sealing: 'カード情報を暗号化しています…',
    paying: 'お支払いを処理しています…',
    paid: 'お支払いが完了しました。',
    statusPaid: 'お支払い済み',
    newOrder: '別の注文をする',
    embedMissing: 'カード入力欄を読み込めませんでした。ページを再読み込みしてください。',
    cardFormError: 'カード情報を確認してください。',
    codes: {
      card_declined: 'カードが承認されませんでした。カード会社にお問い合わせいただくか、別のカードをお使いください。',
      insufficient_funds: 'ご利用可能額を超えているため、カードが承認されませんでした。別のカードをお使いください。',
      expired_card: 'カードの有効期限が切れています。有効期限をご確認のうえ、別のカードをお使いください。',
      card_expired: 'カードの有効期限が切れています。有効期限をご確認のうえ、別のカードをお使いください。',
      processing_error: 'カード会社での処理中にエラーが発生しました。しばらくしてからもう一度お試しください。',
      session_used: 'このご注文はすでにお支払い済みです。同じご注文で二重にお支払いすることはできません。',
      session_expired: 'お支払いの受付時間が過ぎました。お手数ですが、もう一度ご注文ください。',
      session_not_found: 'このご注文ではお支払いできません。もう一度ご注文ください。',
      session_mismatch: 'このご注文ではお支払いできません。もう一度ご注文ください。',
      order_not_found: 'ご注文が見つかりません。もう一度ご注文ください。',
      envelope_replayed: 'このカード情報はすでに送信されています。もう一度カード情報を入力してください。',
      envelope_stale: '入力から時間が経ちすぎました。もう一度カード情報を入力してください。',
      envelope_invalid: 'カード情報を確認できませんでした。もう一度入力してください。',
      unknown_key: 'カード情報を確認できませんでした。ページを再読み込みして、もう一度入力してください。',
      shop_unauthorized: 'ショップの設定に問題があるため、お支払いできません。しばらくしてからもう一度お試しください。',
      platform_unavailable: '決済サービスに接続できませんでした。しばらくしてからもう一度お試しください。',
    },
    fallback: 'お支払いできませんでした。もう一度お試しください。',
  },
  en: {
    sealing: 'Encrypting your card details…',
    paying: 'Processing your payment…',
    paid: 'Your payment is complete.',
    statusPaid: 'Paid',
    newOrder: 'Place another order',
    embedMissing: 'The card form could not be loaded. Please reload the page.',
    cardFormError: 'Please check your card details.',
    codes: {
      card_declined: 'Your card was declined. Please contact your card issuer or use another card.',
      insufficient_funds: 'Your card was declined because the amount exceeds your available credit. Please use another card.',
      expired_card: 'Your card has expired. Please check the expiry date or use another card.',
      card_expired: 'Your card has expired. Please check the expiry date or use another card.',
      processing_error: 'An error occurred while the card issuer processed the payment. Please try again later.',
      session_used: 'This order has already been paid. The same order cannot be paid twice.',
      session_expired: 'The time to pay for this order has run out. Please place the order again.',
      session_not_found: 'This order cannot be paid. Please place the order again.',
      session_mismatch: 'This order cannot be paid. Please place the order again.',
      order_not_found: 'This order was not found. Please place the order again.',
      envelope_replayed: 'These card details were already sent. Please enter your card details again.',
      envelope_stale: 'Too much time has passed since you entered your card details. Please enter them again.',
      envelope_invalid: 'Your card details could not be verified. Please enter them again.',
      unknown_key: 'Your card details could not be verified. Please reload the page and enter them again.',
      shop_unauthorized: 'Payments are unavailable because of a problem with the shop. Please try again later.',
      platform_unavailable: 'The payment service could not be reached. Please try again later.',
    },
    fallback: 'The payment failed. Please try again.',
  },
};
