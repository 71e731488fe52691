// Opens cardseal envelopes with npm `jose`, as a JOSE implementation independent of cardseal.
//
// stdin:  {"private_key_pem": "...", "envelopes": ["<compact JWE>", ...]}
// stdout: [{"header": {...}, "payload": <parsed JSON>} | {"error": "<jose error code>"}, ...]
//
// Only RSA-OAEP-256 and A256GCM are allowed, as a cardseal decoder allows them.

import { compactDecrypt, importPKCS8 } from 'jose';
import { readFileSync } from 'node:fs';

const input = JSON.parse(readFileSync(0, 'utf8'));

// jose wants the PEM to start at its boundary; the test keys carry a warning line above it.
const pem = input.private_key_pem.slice(input.private_key_pem.indexOf('-----BEGIN'));
const key = await importPKCS8(pem, 'RSA-OAEP-256');

const results = [];
for (const envelope of input.envelopes) {
  try {
    const { plaintext, protectedHeader } = await compactDecrypt(envelope, key, {
      keyManagementAlgorithms: ['RSA-OAEP-256'],
      contentEncryptionAlgorithms: ['A256GCM'],
    });
    results.push({ header: protectedHeader, payload: JSON.parse(new TextDecoder().decode(plaintext)) });
  } catch (error) {
    results.push({ error: error.code ?? error.name });
  }
}
process.stdout.write(JSON.stringify(results));
