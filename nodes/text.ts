// A prompt. One text, or with `perLine` one text per non-empty line (a batch, e.g. the rows of a
// similarity matrix). Before a run, a prompt that is empty or has no word the installed CLIP
// knows is an error here (EMPTY_PROMPT: it would encode to nothing); some unknown words are only
// a warning (the studio underlines them from the encoder's tokens output).
import { loadTokenizer, VOCAB_FILE } from '../ml/clip/index.js';
import { STYLE_WORDS } from '../ml/data/corpus.js';
import { modelDir, modelHash } from '../ml/weights.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkBatch, defineNode } from './types.js';

const prompts = (p: { text: string; perLine: boolean }) => (p.perLine ? p.text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0) : [p.text]);
const quote = (t: string) => `“${t.length > 40 ? `${t.slice(0, 39)}…` : t}”`;

export const textNode = defineNode({
  decl: {
    type: 'text',
    version: 1,
    title: 'Text',
    category: 'input',
    description: 'A prompt; with "one per line", a batch of prompts.',
    inputs: [],
    outputs: [{ name: 'text', title: 'text', type: { kind: 'text' } }],
    params: [
      // the corpus captions end in ", <style words> style": the studio offers them (issue 25)
      { name: 'text', title: 'Prompt', kind: 'string', default: 'red apple', limit: 'text', multiline: true, suggestions: Object.values(STYLE_WORDS).map((w) => `${w} style`) },
      { name: 'perLine', title: 'One prompt per line', kind: 'boolean', default: false },
    ],
    models: [],
  },
  async check(params, _limits, weightsDir) {
    const texts = prompts(params);
    if (texts.every((t) => !t.trim())) return [{ code: 'EMPTY_PROMPT', message: params.perLine ? 'every line is empty' : 'the prompt is empty', port: 'text' }];
    const stamp = modelHash(weightsDir, 'clip');
    const dir = modelDir(weightsDir, 'clip');
    if (!stamp || !existsSync(join(dir, VOCAB_FILE))) return []; // no CLIP: its encoder says so
    const tok = loadTokenizer(dir, stamp);
    const unread = texts.filter((t) => !tok.tokenize(t).tokens.some((w) => tok.has(w)));
    if (!unread.length) return [];
    const more = unread.length > 1 ? ` (and ${unread.length - 1} more line${unread.length > 2 ? 's' : ''})` : '';
    return [{ code: 'EMPTY_PROMPT', message: `no word CLIP knows in ${quote(unread[0]!)}${more}: it would encode to nothing`, port: 'text' }];
  },
  async execute(ctx) {
    const texts = prompts(ctx.params);
    checkBatch(ctx, texts.length, 'prompts');
    return { text: { kind: 'text', texts } };
  },
});
