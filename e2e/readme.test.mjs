// The Japanese README translates the prose of README.md but must carry the same commands and
// examples, so a command copied from either file behaves the same.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { ROOT } from './harness.mjs';

// Only comments are translated, and `text` blocks (diagrams). A line without Japanese must equal
// the English line; a line with Japanese must equal it once comments are removed from both.
const JAPANESE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;

function codeBlocks(file) {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const blocks = [...text.matchAll(/^```([^\n]*)\n([\s\S]*?)^```$/gm)];
  return blocks.map(([, info, body]) => ({ info, lines: body.split('\n') }));
}

function withoutComments(line) {
  return line
    .replace(/\/\*.*?\*\//g, '/* */')
    .replace(/(^|\s+)(\/\/|#)\s.*$/, '')
    .trimEnd();
}

test('Japanese code blocks match English', () => {
  const english = codeBlocks('README.md');
  const japanese = codeBlocks('README.ja.md');

  assert.ok(english.length > 0, 'README.md has no fenced code blocks');
  assert.equal(japanese.length, english.length, 'number of fenced code blocks');
  for (const [index, block] of english.entries()) {
    assert.equal(japanese[index].info, block.info, `info string of code block ${index + 1}`);
    if (block.info === 'text') {
      continue;
    }
    assert.equal(japanese[index].lines.length, block.lines.length, `line count of code block ${index + 1}`);
    for (const [line, original] of block.lines.entries()) {
      const translated = japanese[index].lines[line];
      const where = `code block ${index + 1}, line ${line + 1}`;
      if (JAPANESE.test(translated)) {
        assert.equal(withoutComments(translated), withoutComments(original), where);
      } else {
        assert.equal(translated, original, where);
      }
    }
  }
});

test('Japanese inline commands match English', () => {
  // Inline commands that take options, such as `cardseal-server shops add --name ... --origin ...`.
  const commands = (file) =>
    [...readFileSync(join(ROOT, file), 'utf8').matchAll(/`([^`]*\s--[a-z][^`]*)`/g)].map(([, command]) => command.replace(/\s+/g, ' '));
  const english = commands('README.md');

  for (const command of commands('README.ja.md')) {
    assert.doesNotMatch(command, /\S--[a-z]/, `option glued to the word before it: ${command}`);
    const options = command.match(/--[a-z-]+/g);
    assert.ok(
      english.some((other) => options.every((option) => other.includes(option))),
      `README.md has no command with the options of: ${command}`,
    );
  }
});
