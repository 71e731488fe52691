// Seals payloads with npm `jose` under a public JWK exported by cardseal, with the header
// members a cardseal sealer writes, so that cardseal can be tested on envelopes it did not make.
//
// stdin:  {"public_jwk": {...}, "items": [{"header": {...}, "payload": {...}}, ...]}
// stdout: ["<compact JWE>", ...]

import { CompactEncrypt, importJWK } from 'jose';
import { readFileSync } from 'node:fs';

const input = JSON.parse(readFileSync(0, 'utf8'));
const key = await importJWK(input.public_jwk, 'RSA-OAEP-256');

const envelopes = [];
for (const item of input.items) {
  const plaintext = new TextEncoder().encode(JSON.stringify(item.payload));
  const envelope = await new CompactEncrypt(plaintext).setProtectedHeader(item.header).encrypt(key);
  envelopes.push(envelope);
}
process.stdout.write(JSON.stringify(envelopes));
