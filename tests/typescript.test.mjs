// Checks the TypeScript declarations wasm-bindgen generates into pkg/cardseal.d.ts: the exported
// functions and getters carry the project's own types, not plain `string`. Run by
// scripts/test-browser after scripts/build-browser; fails when pkg/ has not been built.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const declarations = readFileSync(new URL('../pkg/cardseal.d.ts', import.meta.url), 'utf8');

/** Returns the one line of the declarations that starts with `start` (after indentation). */
function declaration(start) {
  const lines = declarations.split('\n').filter((line) => line.trim().startsWith(start));
  assert.equal(lines.length, 1, `expected one declaration starting with ${start}`);
  return lines[0].trim();
}

test('detectBrand returns a brand code or undefined', () => {
  assert.equal(
    declaration('export function detectBrand('),
    'export function detectBrand(input: string): BrandCode | undefined;',
  );
});

test('Sealer.engine names the two engines', () => {
  assert.equal(declaration('readonly engine:'), 'readonly engine: "webcrypto" | "rust";');
});

test('validateField takes a field name', () => {
  assert.match(declaration('export function validateField('), /^export function validateField\(field: FieldName, /);
});

test('CardInput documents every expiry form', () => {
  const start = declarations.indexOf('export interface CardInput');
  assert.notEqual(start, -1, 'CardInput is declared');
  const doc = declarations.slice(declarations.lastIndexOf('/**', start), declarations.indexOf('}', start));
  for (const form of ['MM/YY', 'MM/YYYY', 'M/YY', 'M/YYYY', 'MMYY', 'MMYYYY', '"MM YY"', 'full-width', '・']) {
    assert.ok(doc.includes(form), `CardInput doc lacks ${form}`);
  }
  assert.match(doc, /expYear\?: number;/);
  assert.match(doc, /expiry_invalid_year/);
});
