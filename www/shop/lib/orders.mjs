// In-memory order book of the demo shop. A real shop keeps orders in its database; the demo forgets
// them on restart, and the platform keeps the checkout sessions and payments either way.
import { randomBytes } from 'node:crypto';

const ORDER_ID_BYTES = 12;
const REFERENCE_BYTES = 4;

export class OrderBook {
  #orders = new Map();

  // Creates an order before its checkout session exists; `attachSession` completes it.
  create({ quantity, amount, currency }) {
    const order = {
      id: randomBytes(ORDER_ID_BYTES).toString('base64url'),
      reference: 'A-' + randomBytes(REFERENCE_BYTES).toString('hex').toUpperCase(),
      quantity,
      amount,
      currency,
      sessionId: null,
      sessionExpiresAt: null,
      status: 'awaiting_payment',
      paymentId: null,
      createdAt: new Date().toISOString(),
    };
    this.#orders.set(order.id, order);
    return order;
  }

  attachSession(order, session) {
    order.sessionId = session.id;
    order.sessionExpiresAt = session.expires_at;
  }

  markPaid(order, paymentId) {
    order.status = 'paid';
    order.paymentId = paymentId;
  }

  get(id) {
    return this.#orders.get(id) ?? null;
  }

  delete(id) {
    this.#orders.delete(id);
  }
}
