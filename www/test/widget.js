// Test page for the card form widget: mounts it with options from the query string and exposes
// what the browser tests read (the form, its change and submit callbacks, CSP violations).
import init, { CardForm } from '/pkg/cardseal.js';

window.violations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.violations.push(`${event.violatedDirective} ${event.blockedURI}`);
});

const params = new URLSearchParams(location.search);
const options = {};
for (const name of ['lang', 'holder']) {
  if (params.has(name)) options[name] = params.get(name);
}
if (params.has('style')) options.style = JSON.parse(params.get('style'));

await init();
const form = CardForm.mount(document.getElementById('form'), options);
window.cardForm = form;
window.changes = [];
window.submits = 0;
form.onChange((state) => window.changes.push(state));
form.onSubmit(() => {
  window.submits += 1;
});
document.body.dataset.ready = 'true';
