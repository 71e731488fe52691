// Client for the platform's public HTTP API, the only interface the shop server uses: it creates
// checkout sessions and relays sealed envelopes, authenticated with the shop's API key.

const REQUEST_TIMEOUT_MS = 30_000;

export class PlatformError extends Error {
  constructor(message, { cause } = {}) {
    super(message, { cause });
    this.name = 'PlatformError';
  }
}

export class PlatformClient {
  #baseUrl;
  #apiKey;

  constructor({ baseUrl, apiKey }) {
    this.#baseUrl = baseUrl.replace(/\/+$/, '');
    this.#apiKey = apiKey;
  }

  get baseUrl() {
    return this.#baseUrl;
  }

  // POST /v1/checkout-sessions. The amount is in the currency's minor unit (yen for JPY).
  createCheckoutSession({ amount, currency, orderReference }) {
    return this.#send('POST', '/v1/checkout-sessions', {
      body: { amount, currency, order_reference: orderReference },
    });
  }

  // POST /v1/payments. The idempotency key makes a retried request return the first response
  // instead of authorizing twice.
  createPayment({ sessionId, envelope, idempotencyKey }) {
    return this.#send('POST', '/v1/payments', {
      body: { session_id: sessionId, envelope },
      headers: { 'Idempotency-Key': idempotencyKey },
    });
  }

  getPayment(paymentId) {
    return this.#send('GET', `/v1/payments/${encodeURIComponent(paymentId)}`);
  }

  // Sends one request and returns `{request, response}`: the request as sent with the API key
  // replaced by a placeholder, and the status and parsed body of the response. Throws PlatformError
  // only when no HTTP response arrived or its body is not JSON.
  async #send(method, path, { body, headers = {} } = {}) {
    const url = this.#baseUrl + path;
    const requestHeaders = { Accept: 'application/json', ...headers };
    if (body !== undefined) {
      requestHeaders['Content-Type'] = 'application/json';
    }

    let response;
    try {
      response = await fetch(url, {
        method,
        headers: { ...requestHeaders, Authorization: `Bearer ${this.#apiKey}` },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new PlatformError(`${method} ${path} failed: ${error.message}`, { cause: error });
    }

    const text = await response.text();
    let parsed = null;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        throw new PlatformError(`${method} ${path} returned status ${response.status} with a body that is not JSON`, {
          cause: error,
        });
      }
    }

    return {
      request: {
        method,
        url,
        headers: { Authorization: 'Bearer <shop API key, not shown>', ...requestHeaders },
        body: body ?? null,
      },
      response: {
        status: response.status,
        contentType: response.headers.get('content-type'),
        body: parsed,
      },
    };
  }
}
