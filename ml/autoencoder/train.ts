// Training of the icon autoencoder: `npm run train -- autoencoder [--steps N] [--batch B] [--resume]`.
//
// Batches of training-style icons (every style but the held-out one), drawn in shuffled epochs,
// loss L1 + MSE of the reconstruction through a noised latent (model.ts says why the noise). The
// loop, checkpoints, --resume and --init-from are ml/training's. At the end (or --export-only) the
// EMA weights go to weights/autoencoder with the latent standardisation measured on the training
// icons, and a model card with the held-out reconstruction error, the CLIP-free judge's ranks of
// the reconstructions against the real icons' own, a grid of held-out icons and their
// reconstructions, and the loss curve (export.ts).
import { z } from 'zod';
import { gatherImages } from '../clip/eval.js';
import { loadCorpus, splitByStyle } from '../data/corpus.js';
import { terminalBar } from '../progress.js';
import { commonFlags, fraction, parseFlags } from '../training/flags.js';
import { TrainingRun } from '../training/loop.js';
import { startRun } from '../training/start.js';
import { EpochOrder } from '../training/state.js';
import { Trainer } from '../training/trainer.js';
import { exportAutoencoder } from './export.js';
import { Autoencoder, type AutoencoderConfig, defaultAutoencoderConfig, toUnit } from './model.js';

export const autoencoderFlags = commonFlags('autoencoder', { steps: 20000, batch: 32, lr: 1e-3, warmup: 100, ema: 0.999 }).extend({
  /** Overrides of the model config (fresh runs only). */
  config: z.record(z.unknown()).optional(),
  latentNoise: fraction().optional(),
});

export type AutoencoderTrainOptions = z.output<typeof autoencoderFlags>;

/** `npm run train -- autoencoder ...` (ml/train.ts routes here). */
export async function runAutoencoderCli(argv: string[]): Promise<void> {
  const o = parseFlags(autoencoderFlags, argv, 'autoencoder');
  if (!o.exportOnly) await trainAutoencoder(o);
  if (!o.noExport) await exportAutoencoder(o.runDir, o.weightsDir);
}

async function trainAutoencoder(o: AutoencoderTrainOptions): Promise<void> {
  const log = (s: string) => process.stderr.write(s + '\n');
  const corpus = await loadCorpus({ size: 32, onProgress: terminalBar('corpus 32') });
  const { train } = splitByStyle(corpus.entries);
  const S = corpus.size;
  const s = await startRun<AutoencoderConfig>(o, {
    model: 'autoencoder',
    optim: { emaDecay: o.ema, clipNorm: 1 },
    check: (c) => (c.kind === 'autoencoder' ? null : `holds a ${String(c.kind)}, not an autoencoder`),
    fresh: async () => ({ config: defaultAutoencoderConfig({ imageSize: S, ...((o.config ?? {}) as Partial<AutoencoderConfig>), ...(o.latentNoise !== undefined ? { latentNoise: o.latentNoise } : {}) }) }),
  }, log);
  // A run's standardisation is measured again at export: training moves the latents.
  const cfg: AutoencoderConfig = { ...s.config, shift: undefined, scale: undefined };
  if (o.latentNoise !== undefined && s.how === 'resume') cfg.latentNoise = o.latentNoise;
  const net = new Autoencoder(cfg, { seed: o.seed, tensors: s.init });
  const trainer = await Trainer.forRun(net.store, s);
  log(`[autoencoder] ${net.store.size} parameters; ${train.length} training icons; config ${JSON.stringify(cfg)}`);
  const order = new EpochOrder(train, s.st);
  const B = s.st.batch;
  const run = new TrainingRun({ model: 'autoencoder', runDir: o.runDir, saveEveryMin: o.saveEveryMin, config: cfg, st: s.st, net: net.store, trainer, schedule: { kind: 'cosine' }, lossDigits: 5, unit: 'img/s' });
  try {
    await run.train({
      draw: () => {
        const rows = Array.from({ length: B }, () => order.next());
        return { x: toUnit(gatherImages(corpus, rows), B, S), seed: ((s.st.seed * 1000003) ^ (s.st.step * 2654435761)) >>> 1 };
      },
      samples: () => B,
      step: (b) => trainer.step(() => net.loss(b.x, b.seed)),
      disposeBatch: (b) => b.x.dispose(),
    });
  } finally {
    trainer.dispose();
    net.dispose();
  }
}
