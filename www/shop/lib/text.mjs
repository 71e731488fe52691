// Page text of the demo shop in Japanese (the default) and English. The browser-side messages for
// payment outcomes are in public/messages.js.

export const LOCALES = ['ja', 'en'];
export const DEFAULT_LOCALE = 'ja';

export function pickLocale(value) {
  return LOCALES.includes(value) ? value : DEFAULT_LOCALE;
}

export const TEXT = {
  ja: {
    shopName: 'みなと雑貨店',
    shopTagline: 'cardseal デモストア',
    switchLanguage: 'English',
    switchLanguageLabel: 'Switch to English',
    languageNav: '言語',
    demoNotice: 'これは cardseal のデモ用ショップです。実際の請求は発生しません。下の一覧にあるテスト用カード番号をお使いください。',
    imageAlt: '藍色の波佐見焼のマグカップ',
    taxIncluded: '（税込）',
    quantity: '数量',
    buy: '購入手続きへ',
    aboutTitle: 'このデモのしくみ',
    about: [
      'このショップ（{shop}）と決済プラットフォーム（{platform}）は、別々のオリジンで動いています。',
      'カード入力欄はプラットフォームのページで、iframe としてこのページに埋め込まれます。ショップのスクリプトは入力欄を読めません。',
      '入力されたカード情報はブラウザ内でプラットフォームの公開鍵により暗号化（JWE）され、ショップには暗号文だけが届きます。',
      'ショップのサーバーはその暗号文をプラットフォームに中継し、ブランド・下4桁・有効期限だけを受け取ります。',
    ],
    checkoutTitle: 'お支払い',
    orderSummary: 'ご注文内容',
    orderReference: '注文番号',
    total: '合計',
    orderStatus: 'ご注文の状態',
    statusAwaiting: 'お支払い待ち',
    statusPaid: 'お支払い済み',
    cardTitle: 'カード情報',
    cardNote: 'カード情報の入力欄は決済プラットフォーム（{platform}）が表示しています。入力内容はその場で暗号化され、このショップには届きません。',
    pay: '{amount} を支払う',
    resultTitle: 'お支払いが完了しました',
    resultBrand: 'カードブランド',
    resultNumber: 'カード番号',
    resultExpiry: '有効期限',
    resultPaymentId: '決済 ID',
    newOrder: '別の注文をする',
    backToProduct: '商品ページに戻る',
    panelTitle: 'ショップが見たデータ',
    panelIntro: 'このショップのページとサーバーが扱ったデータをすべて表示します。カード番号とセキュリティコードはどこにもありません。',
    panelFromFrame: '1. カード入力欄から受け取ったもの（ショップのページ）',
    panelHeader: '封筒（JWE）の保護ヘッダー（暗号化されていない部分）',
    panelSent: '2. プラットフォームへ送ったもの（ショップのサーバー）',
    panelReceived: '3. プラットフォームから受け取ったもの（ショップのサーバー）',
    panelEmpty: 'まだありません。',
    testCardsTitle: 'テスト用カード番号',
    testCardsIntro: '有効期限は未来の年月、セキュリティコードは任意の数字（American Express は 4 桁、ほかは 3 桁）を入力してください。Visa・Mastercard・American Express・Diners Club でも、末尾の確認用の 1 桁を除いた最後の 2 桁（01〜05）で同じ結果になります。',
    testCardNumber: 'カード番号',
    testCardBrand: 'ブランド',
    testCardOutcome: '結果',
    notFoundTitle: 'ご注文が見つかりません',
    notFound: 'このご注文は見つかりませんでした。ショップのサーバーが再起動すると、注文は消えます。もう一度ご注文ください。',
    unavailableTitle: 'ただいまお手続きできません',
    unavailable: '決済プラットフォームに接続できませんでした。しばらくしてからもう一度お試しください。',
    badRequestTitle: '入力内容を確認してください',
    badRequest: '数量は 1 から {max} までで選んでください。',
    footer: 'cardseal デモ。カード情報は決済プラットフォームだけが復号できます。',
  },
  en: {
    shopName: 'Minato Goods',
    shopTagline: 'cardseal demo store',
    switchLanguage: '日本語',
    switchLanguageLabel: '日本語に切り替える',
    languageNav: 'Language',
    demoNotice: 'This is a demo shop for cardseal. No real charge is made. Use the test card numbers listed below.',
    imageAlt: 'An indigo Hasami ware mug',
    taxIncluded: ' (tax included)',
    quantity: 'Quantity',
    buy: 'Proceed to checkout',
    aboutTitle: 'How this demo works',
    about: [
      'This shop ({shop}) and the payment platform ({platform}) run on separate origins.',
      "The card form is a page of the platform, embedded in this page as an iframe. The shop's scripts cannot read its fields.",
      "The card details are encrypted in the browser with the platform's public key (JWE), and the shop receives only the ciphertext.",
      "The shop's server relays that ciphertext to the platform and gets back only the brand, the last four digits and the expiry.",
    ],
    checkoutTitle: 'Checkout',
    orderSummary: 'Your order',
    orderReference: 'Order reference',
    total: 'Total',
    orderStatus: 'Order status',
    statusAwaiting: 'Awaiting payment',
    statusPaid: 'Paid',
    cardTitle: 'Card details',
    cardNote: 'The card form is shown by the payment platform ({platform}). What you type is encrypted there and never reaches this shop.',
    pay: 'Pay {amount}',
    resultTitle: 'Payment complete',
    resultBrand: 'Card brand',
    resultNumber: 'Card number',
    resultExpiry: 'Expiry',
    resultPaymentId: 'Payment ID',
    newOrder: 'Place another order',
    backToProduct: 'Back to the product',
    panelTitle: 'What the shop saw',
    panelIntro: "Everything this shop's page and server handled is shown here. The card number and security code are nowhere in it.",
    panelFromFrame: "1. Received from the card form (shop's page)",
    panelHeader: 'Protected header of the envelope (JWE), the part that is not encrypted',
    panelSent: "2. Sent to the platform (shop's server)",
    panelReceived: "3. Received from the platform (shop's server)",
    panelEmpty: 'Nothing yet.',
    testCardsTitle: 'Test card numbers',
    testCardsIntro: 'Use any future expiry date and any security code (4 digits for American Express, 3 for the others). Visa, Mastercard, American Express and Diners Club numbers give the same outcomes by the two digits before the check digit (01 to 05).',
    testCardNumber: 'Card number',
    testCardBrand: 'Brand',
    testCardOutcome: 'Outcome',
    notFoundTitle: 'Order not found',
    notFound: 'This order was not found. Orders are lost when the shop server restarts. Please order again.',
    unavailableTitle: 'Checkout is unavailable',
    unavailable: 'The payment platform could not be reached. Please try again later.',
    badRequestTitle: 'Please check your input',
    badRequest: 'Choose a quantity from 1 to {max}.',
    footer: 'cardseal demo. Only the payment platform can decrypt card details.',
  },
};

// Replaces `{name}` placeholders with values; the result is plain text, escaped where it is used.
export function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (placeholder, name) => (name in values ? String(values[name]) : placeholder));
}

export function formatAmount(amount, currency, locale) {
  const tag = locale === 'ja' ? 'ja-JP' : 'en-US';
  return new Intl.NumberFormat(tag, { style: 'currency', currency }).format(amount);
}
