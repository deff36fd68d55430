// The Text node's check before a run: an empty prompt, or one with no word the installed CLIP
// knows, is EMPTY_PROMPT on the node; emoji count as the words they are named by.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { textNode } from './text.js';

const WEIGHTS = join(fileURLToPath(new URL('..', import.meta.url)), 'weights');
const limits = {} as never; // the text node's check reads no limits
const check = (text: string, perLine = false, dir = WEIGHTS) => textNode.check!({ text, perLine }, limits, dir);
const codes = async (text: string, perLine = false, dir = WEIGHTS) => (await check(text, perLine, dir)).map((e) => e.code);

test('an empty prompt is an error, with or without CLIP installed', async () => {
  assert.deepEqual(await check(''), [{ code: 'EMPTY_PROMPT', message: 'the prompt is empty', port: 'text' }]);
  assert.deepEqual(await codes('  \n ', false, '/nonexistent'), ['EMPTY_PROMPT']);
  assert.match((await check('\n\n', true))[0]!.message, /every line is empty/);
});

test('a prompt CLIP cannot read a word of is an error; emoji are words', { skip: existsSync(join(WEIGHTS, 'clip', 'vocab.json')) ? false : 'no CLIP weights' }, async () => {
  assert.deepEqual(await codes('red apple'), []);
  assert.deepEqual(await codes('red zzqxv'), [], 'some unknown words are only a warning');
  assert.deepEqual(await codes('🍎❤️🔥'), []);
  const [e] = await check('zzqxv qqqzx');
  assert.equal(e?.code, 'EMPTY_PROMPT');
  assert.match(e!.message, /no word CLIP knows in “zzqxv qqqzx”/);
  assert.match((await check('red apple\nzzqxv\nqqqzx', true))[0]!.message, /“zzqxv” \(and 1 more line\)/);
  // without CLIP installed there is nothing to read against: the encoder reports MODEL_MISSING
  assert.deepEqual(await codes('zzqxv', false, '/nonexistent'), []);
});
