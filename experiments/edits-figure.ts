// What do image to image and inpainting do with the shipped models? Writes docs/edits.png (rows:
// an icon edited toward a prompt at strengths 0.3 / 0.6 / 0.9, then inpainting its top half) and
// prints, as JSON, the mean absolute difference to the input per strength, and inside / outside the
// mask. `npx tsx experiments/edits-figure.ts [docs/edits.png]`
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../ml/backend.js';
import { renderIcon } from '../ml/data/corpus.js';
import { generate, imagesFromBytes, loadPipeline, rgbBytes } from '../ml/pipeline.js';
import { imageGridPng } from '../ml/png.js';

const CASES = [
  { key: 'noto:red-apple', prompt: 'banana' },
  { key: 'noto:grinning-face', prompt: 'cat face' },
  { key: 'noto:house', prompt: 'snowman' },
];
const STRENGTHS = [0.3, 0.6, 0.9];
const S = 32;

const meanAbs = (a: Uint8Array, b: Uint8Array, rows?: (y: number) => boolean) => {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    if (rows && !rows(Math.floor(i / (S * 3)))) continue;
    sum += Math.abs(a[i]! - b[i]!);
    n++;
  }
  return +(sum / n).toFixed(2);
};

async function main(out = 'docs/edits.png'): Promise<void> {
  await initBackend({ log: (l) => process.stderr.write(l + '\n') });
  const p = await loadPipeline({ upsampler: false });
  const rows = [];
  const figures = [];
  try {
    for (const c of CASES) {
      const icon = await renderIcon(c.key, S);
      const images = imagesFromBytes(icon, 1, S);
      const mask = tf.tidy(() => tf.tensor4d(Float32Array.from({ length: S * S }, (_, i) => (Math.floor(i / S) < S / 2 ? 1 : 0)), [1, S, S, 1]));
      const cells: Uint8Array[] = [icon];
      const moved: number[] = [];
      try {
        for (const strength of [...STRENGTHS, 1]) {
          const edit = strength === 1 ? { images, strength, mask } : { images, strength };
          const g = await generate(p, { prompts: [c.prompt], seed: 1, noUpsample: true, edit });
          const bytes = await rgbBytes(g.images);
          tf.dispose([g.images, g.embeddings]);
          cells.push(bytes);
          if (strength < 1) moved.push(meanAbs(bytes, icon));
          else figures.push({ ...c, moved, inpaintOutside: meanAbs(bytes, icon, (y) => y >= S / 2), inpaintInside: meanAbs(bytes, icon, (y) => y < S / 2) });
        }
      } finally {
        tf.dispose([images, mask]);
      }
      rows.push({ label: `${c.key.split(':')[1]} → ${c.prompt}`, images: cells });
    }
  } finally {
    p.dispose();
  }
  await imageGridPng(out, rows, S, { scale: 3, labelWidth: 200, title: `input | image to image at strength ${STRENGTHS.join(' / ')} | inpainting the top half` });
  process.stderr.write(`wrote ${out}\n`);
  console.log(JSON.stringify({ strengths: STRENGTHS, cases: figures }));
}

main(process.argv[2]).catch((e: Error) => {
  process.stderr.write(`${e.stack ?? e.message}\n`);
  process.exit(1);
});
