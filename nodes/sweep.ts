// A sweep: runs the graph once per value of one or two other nodes' params (seed, guidance, steps,
// sampler, an interpolation's t, a list of prompts) and the studio shows the output linked to its
// `image` input as a labelled grid. It runs nothing itself: the executor expands the variants
// (protocol/sweep.ts plans them, server/executor.ts runs them on one shared output cache).
import { SWEEP_NODE_TYPE } from '../protocol/index.js';
import { defineNode } from './types.js';

const VALUES_HELP = 'one value per line (numbers, options and true/false may also be separated by commas); a prompt list is one prompt per line';

export const sweepNode = defineNode({
  decl: {
    type: SWEEP_NODE_TYPE,
    version: 1,
    title: 'Sweep',
    category: 'view',
    description: 'Runs the graph once per value of a param (columns) and optionally a second (rows); shows the linked image output as a labelled grid.',
    inputs: [{ name: 'image', title: 'image to grid', type: { kind: 'image' } }],
    outputs: [],
    params: [
      { name: 'node', title: 'Columns: node id', kind: 'string', default: '', maxLength: 64 },
      { name: 'param', title: 'Columns: param', kind: 'string', default: 'seed', maxLength: 64 },
      { name: 'values', title: 'Columns: values', kind: 'string', default: '0, 1, 2', maxLength: 4000, multiline: true, description: VALUES_HELP },
      { name: 'node2', title: 'Rows: node id (empty: one row)', kind: 'string', default: '', maxLength: 64 },
      { name: 'param2', title: 'Rows: param', kind: 'string', default: 'guidance', maxLength: 64 },
      { name: 'values2', title: 'Rows: values', kind: 'string', default: '', maxLength: 4000, multiline: true, description: VALUES_HELP },
    ] as const,
    models: [],
    passive: true,
  },
  async execute() {
    return {};
  },
});
