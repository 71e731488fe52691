/*! cardseal embed script: mounts the platform's hosted card frame in a shop's checkout page. */
// Include it from the platform's origin with its SRI hash:
//   <script src="https://platform.example/embed/cardseal.js" integrity="sha384-..." crossorigin></script>
//   const card = CardSeal.mount('#card', { sessionId, locale: 'ja' });
//   card.on('change', ({ brand, complete }) => ...);
//   const { envelope, brand, last4, expMonth, expYear } = await card.submit();
// The card inputs stay inside the frame, on the platform's origin; this page receives only the
// envelope and the card's display data.
(function () {
  'use strict';

  const PROTOCOL = 'cardseal';
  const FRAME_PATH = '/frame/index.html';
  // The frame must respond within this time, or submit() rejects with frame_not_ready.
  const SUBMIT_TIMEOUT_MS = 30000;
  // The tallest frame accepted from a resize report, so a faulty report cannot blow up the page.
  const MAX_FRAME_HEIGHT = 2000;
  const INITIAL_FRAME_HEIGHT = 200;
  const SESSION_ID = /^[A-Za-z0-9._-]{1,128}$/;
  const STYLE_KEYS = [
    'colorText', 'colorBackground', 'colorBorder', 'colorFocus', 'colorError',
    'colorPlaceholder', 'fontFamily', 'fontSize', 'borderRadius', 'spacing',
  ];
  const EVENTS = ['ready', 'change', 'error', 'submit'];
  const MESSAGES = {
    frame_not_ready: {
      ja: 'カード入力欄の準備ができていません。しばらくしてからお試しください。',
      en: 'The card form is not ready yet. Try again in a moment.',
    },
    busy: { ja: '処理中です。しばらくお待ちください。', en: 'Processing. Please wait.' },
    frame_destroyed: { ja: 'カード入力欄が閉じられました。', en: 'The card form was closed.' },
  };

  // The platform's origin is where this script was loaded from: the frame and keys live there.
  const script = document.currentScript;
  if (!script || !script.src) throw new Error('cardseal.js must be loaded with a <script src> tag');
  const PLATFORM_ORIGIN = new URL(script.src).origin;

  function pickLocale(locale) {
    const wanted = String(locale || navigator.language || 'en').toLowerCase();
    return wanted.startsWith('ja') ? 'ja' : 'en';
  }

  /** Creates an error like the frame's: a stable `code` and a message in the form's language. */
  function failure(code, locale, message) {
    const error = new Error(message || MESSAGES[code][locale]);
    error.name = 'CardSealError';
    error.code = code;
    return error;
  }

  function checkedStyle(style) {
    if (style == null) return undefined;
    if (typeof style !== 'object') throw new TypeError('CardSeal.mount: options.style must be an object');
    const checked = {};
    for (const key of STYLE_KEYS) {
      if (typeof style[key] === 'string') checked[key] = style[key];
    }
    return checked;
  }

  class CardElement {
    constructor(container, options) {
      this._locale = pickLocale(options.locale);
      this._listeners = new Map(EVENTS.map((name) => [name, new Set()]));
      this._pending = new Map();
      this._nextId = 1;
      this._ready = false;
      this._destroyed = false;
      // The error that kept the frame from starting (expired session, network), if any.
      this._failure = null;
      this._readyWaiters = [];

      const hash = new URLSearchParams({ session: options.sessionId, locale: this._locale, parent: location.origin });
      if (options.holder) hash.set('holder', String(options.holder));
      const style = checkedStyle(options.style);
      if (style) hash.set('style', JSON.stringify(style));

      const frame = document.createElement('iframe');
      frame.src = `${PLATFORM_ORIGIN}${FRAME_PATH}#${hash}`;
      frame.title = this._locale === 'ja' ? 'カード情報の入力' : 'Card details';
      frame.className = 'cardseal-frame';
      // allow-scripts: the form is a script. allow-same-origin: the frame keeps the platform's
      // origin, which it needs to fetch the keys and session from it and which this page checks
      // on every message. Left out: top navigation, popups, modals, forms and downloads, none
      // of which the form uses. No `allow` attribute: the frame gets no delegated features.
      frame.setAttribute('sandbox', 'allow-scripts allow-same-origin');
      frame.setAttribute('referrerpolicy', 'origin');
      frame.setAttribute('scrolling', 'no');
      // CSSOM writes, not a style attribute: a strict CSP on the shop page allows them.
      frame.style.setProperty('display', 'block');
      frame.style.setProperty('width', '100%');
      frame.style.setProperty('border', '0');
      frame.style.setProperty('height', `${INITIAL_FRAME_HEIGHT}px`);
      this._frame = frame;

      this._onMessage = (event) => this._receive(event);
      window.addEventListener('message', this._onMessage);
      container.appendChild(frame);
    }

    /** Registers a listener for 'ready', 'change' ({brand, complete, empty}), 'error'
     *  ({code, message}) or 'submit' (Enter pressed in the form). Returns this element. */
    on(name, listener) {
      const listeners = this._listeners.get(name);
      if (!listeners) throw new TypeError(`CardSeal: unknown event ${name}`);
      listeners.add(listener);
      if (name === 'ready' && this._ready) queueMicrotask(() => listener());
      return this;
    }

    off(name, listener) {
      const listeners = this._listeners.get(name);
      if (listeners) listeners.delete(listener);
      return this;
    }

    /** Seals the card in the frame. Resolves to {envelope, brand, last4, expMonth, expYear};
     *  rejects with {code, message, fields?} in the form's language. */
    submit() {
      if (this._destroyed) return Promise.reject(failure('frame_destroyed', this._locale));
      if (this._failure) return Promise.reject(this._failure);
      if (this._pending.size > 0) return Promise.reject(failure('busy', this._locale));

      const id = this._nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          this._pending.delete(id);
          reject(failure('frame_not_ready', this._locale));
        }, SUBMIT_TIMEOUT_MS);
        this._pending.set(id, { resolve, reject, timer });
        this._whenReady(() => this._send({ type: 'seal', id }));
      });
    }

    focus() {
      this._whenReady(() => this._send({ type: 'focus' }));
    }

    clear() {
      this._whenReady(() => this._send({ type: 'clear' }));
    }

    /** Removes the frame; pending submits reject with frame_destroyed. */
    destroy() {
      if (this._destroyed) return;
      this._destroyed = true;
      window.removeEventListener('message', this._onMessage);
      this._frame.remove();
      for (const [id, pending] of this._pending) {
        clearTimeout(pending.timer);
        pending.reject(failure('frame_destroyed', this._locale));
        this._pending.delete(id);
      }
      this._readyWaiters = [];
    }

    _whenReady(action) {
      if (this._ready) action();
      else this._readyWaiters.push(action);
    }

    _send(message) {
      if (this._destroyed || !this._frame.contentWindow) return;
      this._frame.contentWindow.postMessage({ protocol: PROTOCOL, ...message }, PLATFORM_ORIGIN);
    }

    _emit(name, detail) {
      for (const listener of this._listeners.get(name)) {
        try {
          listener(detail);
        } catch (error) {
          // One failing listener must not stop the others or the protocol.
          setTimeout(() => {
            throw error;
          });
        }
      }
    }

    _receive(event) {
      // Only the frame this element created, at the platform's origin, is listened to.
      if (event.source !== this._frame.contentWindow || event.origin !== PLATFORM_ORIGIN) return;
      const data = event.data;
      if (!data || data.protocol !== PROTOCOL || typeof data.type !== 'string') return;

      switch (data.type) {
        case 'ready': {
          this._ready = true;
          const waiters = this._readyWaiters;
          this._readyWaiters = [];
          waiters.forEach((action) => action());
          this._emit('ready');
          break;
        }
        case 'resize':
          if (Number.isFinite(data.height)) {
            const height = Math.min(Math.max(Math.ceil(data.height), 0), MAX_FRAME_HEIGHT);
            this._frame.style.setProperty('height', `${height}px`);
          }
          break;
        case 'change':
          this._emit('change', {
            brand: typeof data.brand === 'string' ? data.brand : null,
            complete: data.complete === true,
            empty: data.empty === true,
          });
          break;
        case 'submit':
          this._emit('submit');
          break;
        case 'sealed':
          this._settle(data.id, (pending) => pending.resolve(sealedResult(data.result)));
          break;
        case 'seal-error':
          this._settle(data.id, (pending) => pending.reject(this._error(data.error)));
          break;
        case 'error': {
          const error = this._error(data.error);
          if (!this._ready) this._failure = error;
          for (const id of [...this._pending.keys()]) this._settle(id, (pending) => pending.reject(error));
          this._emit('error', error);
          break;
        }
      }
    }

    _settle(id, action) {
      const pending = this._pending.get(id);
      if (!pending) return;
      this._pending.delete(id);
      clearTimeout(pending.timer);
      action(pending);
    }

    _error(reported) {
      const code = typeof reported?.code === 'string' ? reported.code : 'seal_failed';
      const message = typeof reported?.message === 'string' ? reported.message : code;
      const error = failure(code, this._locale, message);
      if (Array.isArray(reported?.fields)) error.fields = reported.fields;
      return error;
    }
  }

  /** Copies the frame's result field by field, so nothing else it might carry reaches the page. */
  function sealedResult(result) {
    return {
      envelope: String(result?.envelope ?? ''),
      brand: String(result?.brand ?? ''),
      last4: String(result?.last4 ?? ''),
      expMonth: Number(result?.expMonth),
      expYear: Number(result?.expYear),
    };
  }

  /** Mounts the card frame in `element` (an Element or a selector) for one checkout session.
   *  Options: sessionId (required), locale ('ja' or 'en'; default: the browser's), holder
   *  ('optional', 'required' or 'hidden'), style (CSS custom property values, see the docs). */
  function mount(element, options) {
    const container = typeof element === 'string' ? document.querySelector(element) : element;
    if (!(container instanceof Element)) throw new TypeError('CardSeal.mount: element not found');
    if (!options || !SESSION_ID.test(String(options.sessionId))) {
      throw new TypeError('CardSeal.mount: options.sessionId must be a checkout session id');
    }
    return new CardElement(container, options);
  }

  window.CardSeal = Object.freeze({ mount, platformOrigin: PLATFORM_ORIGIN });
})();
