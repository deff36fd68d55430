// Training dispatcher: `npm run train -- <model> [options]`. Each model owns its flags (a schema
// read by ml/training/flags.ts) and its step; the loop is ml/training's. This file only routes.
import { initBackend } from './backend.js';
import { FlagError } from './training/flags.js';

const USAGE = 'usage: npm run train -- clip|prior|autoencoder|decoder|upsampler [--steps N] [--batch B] [--resume] [--init-from DIR] [--lr X] ... (an unknown flag lists them all); clip-export [RUN_DIR] [WEIGHTS_DIR]';

async function main(argv: string[]): Promise<void> {
  const [model, ...rest] = argv;
  await initBackend({ log: (l) => process.stderr.write(l + '\n') });
  switch (model) {
    case 'clip': {
      const { parseTrainArgs, trainClip } = await import('./clip/train.js');
      await trainClip(parseTrainArgs(rest));
      return;
    }
    case 'prior': { const m = await import('./prior/train.js'); await m.runPriorCli(rest); return; }
    case 'autoencoder': { const m = await import('./autoencoder/train.js'); await m.runAutoencoderCli(rest); return; }
    case 'clip-export': {
      // re-export weights/clip (weights, loss.png, retrieval.png) from a run folder
      const { exportWeights } = await import('./clip/train.js');
      await exportWeights(rest[0] ?? 'runs/clip', rest[1] ?? 'weights/clip');
      return;
    }
    case 'decoder':
    case 'upsampler': {
      const { parseTrainArgs: parseImageArgs, trainImageModel } = await import('./decoder/train.js');
      await trainImageModel(parseImageArgs(model, rest));
      return;
    }
    default:
      process.stderr.write(`${model ? `unknown model ${model}\n` : ''}${USAGE}\n`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof FlagError) {
    process.stderr.write(`${e.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
