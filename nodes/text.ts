// A prompt. One text, or with `perLine` one text per non-empty line (a batch, e.g. the rows of a
// similarity matrix).
import { checkBatch, defineNode } from './types.js';

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
      { name: 'text', title: 'Prompt', kind: 'string', default: 'red apple', limit: 'text', multiline: true },
      { name: 'perLine', title: 'One prompt per line', kind: 'boolean', default: false },
    ],
    models: [],
  },
  async execute(ctx) {
    const { text, perLine } = ctx.params;
    const texts = perLine ? text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0) : [text];
    checkBatch(ctx, texts.length, 'prompts');
    return { text: { kind: 'text', texts } };
  },
});
