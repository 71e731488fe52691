// A script that does not belong to the card form, framed next to it in the shop page from its own
// origin or from the shop's. On request it posts protocol messages to the card frame and to the
// shop page, which both must ignore.
'use strict';

const FORGED_RESULT = { envelope: 'forged', brand: 'visa', last4: '4242', expMonth: 1, expYear: 2030 };

window.addEventListener('message', (event) => {
  if (event.source !== window.parent) return;
  const cardFrame = window.parent.frames[0];

  if (event.data === 'attack-frame') {
    // Ask the card frame to seal (it would clear its inputs afterwards) and to clear.
    cardFrame.postMessage({ protocol: 'cardseal', type: 'seal', id: 99 }, '*');
    cardFrame.postMessage({ protocol: 'cardseal', type: 'clear' }, '*');
    window.parent.postMessage('attacked-frame', '*');
  }
  if (event.data === 'attack-parent') {
    window.parent.postMessage({ protocol: 'cardseal', type: 'ready' }, '*');
    window.parent.postMessage({ protocol: 'cardseal', type: 'sealed', id: 1, result: FORGED_RESULT }, '*');
    window.parent.postMessage('attacked-parent', '*');
  }
});

window.parent.postMessage('third-party-ready', '*');
