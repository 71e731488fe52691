// Serializes origins with Node's WHATWG URL parser, the same standard browsers follow, so the
// tests can check that every origin cardseal accepts is already in its serialized form.
//
// stdin:  {"origins": ["http://127.1:8081", ...]}
// stdout: ["http://127.0.0.1:8081" | null (not a valid URL), ...]

import { readFileSync } from 'node:fs';

const input = JSON.parse(readFileSync(0, 'utf8'));

const results = input.origins.map((text) => {
  try {
    return new URL(text).origin;
  } catch {
    return null;
  }
});
process.stdout.write(JSON.stringify(results));
