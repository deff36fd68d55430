// A markdown note on the canvas, so a graph reads like a notebook. It has no ports and runs nothing.
import { defineNode } from './types.js';

export const noteNode = defineNode({
  decl: {
    type: 'note',
    version: 1,
    title: 'Note',
    category: 'doc',
    description: 'Markdown text shown on the canvas; runs nothing.',
    inputs: [],
    outputs: [],
    params: [{ name: 'markdown', title: 'Markdown', kind: 'string', default: '', maxLength: 20_000, multiline: true }],
    models: [],
    passive: true,
  },
  async execute() {
    return {};
  },
});
