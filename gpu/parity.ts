// Parity of one decoder step across backends, on the shipped weights:
//
//   tsx gpu/parity.ts run OUT.bin      one step (and a 4-step sample) on the current backend
//   tsx gpu/parity.ts compare A.bin B.bin   prints {"max_abs_diff": …} as its last stdout line
//
// Each backend runs in its own process (UNCLIP_BACKEND=wasm, then webgpu): switching backends
// inside one process would move the weights between them and blur what is being compared. The
// inputs (embeddings, noise) come from the seeded PRNG in JS, so both runs see the same numbers.
import * as tf from '@tensorflow/tfjs-core';
import { readFile, writeFile } from 'node:fs/promises';
import { initBackend } from '../ml/backend.js';
import { loadDecoder } from '../ml/decoder/index.js';
import { mulberry32 } from '../ml/rng.js';

async function run(out: string): Promise<void> {
  const backend = await initBackend({ log: (l) => process.stderr.write(l + '\n') });
  const dec = await loadDecoder(process.env.UNCLIP_DECODER_DIR);
  const rand = mulberry32(7);
  const n = 2;
  const raw = Float32Array.from({ length: n * dec.dim }, () => rand() * 2 - 1);
  const outputs: Float32Array[] = [];
  for (const steps of [1, 4]) {
    const emb = tf.tidy(() => {
      const e = tf.tensor2d(raw, [n, dec.dim]);
      return tf.div(e, tf.norm(e, 2, 1, true)) as tf.Tensor2D;
    });
    try {
      const img = await dec.decode({ embeddings: emb, steps, guidance: 3, seed: 1 });
      try {
        outputs.push((await img.data()) as Float32Array);
      } finally {
        img.dispose();
      }
    } finally {
      emb.dispose();
    }
  }
  dec.dispose();
  const all = new Float32Array(outputs.reduce((s, o) => s + o.length, 0));
  let at = 0;
  for (const o of outputs) {
    all.set(o, at);
    at += o.length;
  }
  await writeFile(out, Buffer.from(all.buffer));
  console.log(JSON.stringify({ backend: backend.candidate, adapter: backend.adapter ?? null, values: all.length }));
}

async function compare(a: string, b: string): Promise<void> {
  const read = async (f: string) => new Float32Array(new Uint8Array(await readFile(f)).buffer);
  const x = await read(a);
  const y = await read(b);
  if (x.length !== y.length) throw new Error(`different lengths: ${x.length} vs ${y.length}`);
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]! - y[i]!));
  console.log(JSON.stringify({ max_abs_diff: max, values: x.length, within_1e3: max <= 1e-3 }));
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'run' && args[0]) await run(args[0]);
else if (mode === 'compare' && args[0] && args[1]) await compare(args[0], args[1]);
else {
  process.stderr.write('usage: parity.ts run OUT.bin | compare A.bin B.bin\n');
  process.exitCode = 2;
}
