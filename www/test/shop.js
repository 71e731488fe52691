// Test shop page for the frame tests. It loads the embed script from the platform with its SRI
// hash and mounts the card frame. It records what this page can observe: every message event it
// receives and every event of the card element. Query: platform, session, sri, locale, style
// (JSON), third (origins of third-party pages to embed next to the card frame, comma-separated).
'use strict';

const params = new URLSearchParams(location.search);
window.raw = [];
window.events = [];
window.violations = [];

document.addEventListener('securitypolicyviolation', (event) => {
  window.violations.push(`${event.violatedDirective} ${event.blockedURI}`);
});

window.addEventListener('message', (event) => {
  const data = event.data;
  window.raw.push({
    origin: event.origin,
    type: typeof data === 'string' ? data : data?.type,
    id: data?.id,
  });
});

function mountCard() {
  const style = params.has('style') ? JSON.parse(params.get('style')) : undefined;
  window.card = window.CardSeal.mount('#card', { sessionId: params.get('session'), locale: params.get('locale') || undefined, style });
  for (const name of ['ready', 'change', 'error', 'submit']) {
    window.card.on(name, (detail) => {
      // Error objects do not survive the trip to the test, so their fields are copied.
      const plain = detail instanceof Error ? { name: detail.name, code: detail.code, message: detail.message } : detail;
      window.events.push({ name, detail: plain ?? null });
    });
  }

  // Third-party frames come after the card frame, so the card frame is window.frames[0].
  for (const origin of (params.get('third') || '').split(',').filter(Boolean)) {
    const frame = document.createElement('iframe');
    frame.src = `${origin}/test/third-party.html`;
    frame.title = 'third party';
    frame.className = 'third-party';
    document.body.appendChild(frame);
  }
}

/** Asks the third-party frame from `origin` to run `attack` (see third-party.js). */
window.attack = (origin, attack) => {
  const frame = [...document.querySelectorAll('iframe.third-party')].find((element) => element.src.startsWith(origin));
  frame.contentWindow.postMessage(attack, origin);
};

document.addEventListener('DOMContentLoaded', () => {
  const script = document.createElement('script');
  script.src = `${params.get('platform')}/embed/cardseal.js`;
  script.integrity = params.get('sri');
  script.crossOrigin = 'anonymous';
  script.onload = mountCard;
  script.onerror = () => {
    window.embedFailed = true;
  };
  document.head.appendChild(script);
});
