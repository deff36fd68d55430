// A prompt. One text, or with `perLine` one text per non-empty line (a batch, e.g. the rows of a
// similarity matrix).
import { checkBatch, type ExecContext, type NodeDef, type Outputs } from './types.js';

export const textNode: NodeDef = {
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
  async execute(ctx: ExecContext): Promise<Outputs> {
    const text = String(ctx.params.text);
    const texts = ctx.params.perLine ? text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0) : [text];
    checkBatch(ctx, texts.length, 'prompts');
    return { text: { kind: 'text', texts } };
  },
};
