// The demo shop's one product. Prices are in yen, which has no minor unit, so the amount sent to the
// platform is the yen value itself.

export const CURRENCY = 'JPY';
export const MAX_QUANTITY = 5;

export const PRODUCT = {
  sku: 'HASAMI-MUG-AI',
  priceYen: 2420,
  image: '/static/mug.svg',
  name: {
    ja: '波佐見焼 マグカップ「藍」',
    en: 'Hasami ware mug "Ai"',
  },
  description: {
    ja: '長崎県波佐見町の窯元で焼かれた、深い藍色のマグカップです。容量 300 ml、電子レンジと食洗機に対応しています。',
    en: 'A deep indigo mug fired by a pottery in Hasami, Nagasaki. Holds 300 ml; microwave and dishwasher safe.',
  },
};

export function orderAmount(quantity) {
  return PRODUCT.priceYen * quantity;
}

// Parses a quantity from form input; returns null unless it is a whole number from 1 to MAX_QUANTITY.
export function parseQuantity(value) {
  if (typeof value !== 'string' || !/^[1-9][0-9]?$/.test(value)) {
    return null;
  }

  const quantity = Number(value);
  return quantity <= MAX_QUANTITY ? quantity : null;
}
