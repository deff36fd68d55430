// The data the decoder and upsampler train on: the training split of the corpus (every style but
// the held-out one), and a batch builder over its rows. No augmentation: a horizontal flip is
// wrong for emoji with text and arrows, and a shift would no longer match the CLIP embedding of
// the unshifted image. The decoder reads the CLIP image embeddings from loadImageEmbeddings
// (computed once per CLIP checkpoint, cached) and, with --prior-cond, cached prior samples for the
// rows' captions; the upsampler reads the 64x64 renders and the 32x32 renders of the same icons.
import type { Autoencoder } from '../autoencoder/model.js';
import { type ImageEmbeddings, loadImageEmbeddings } from '../clip-embeddings.js';
import { type Corpus, loadCorpus, splitByStyle } from '../data/corpus.js';
import type { TimestepBand } from '../diffusion/index.js';
import { terminalBar } from '../progress.js';
import type { ModelConfig, PriorTarget } from './export.js';
import { corpusLatents } from './latent.js';
import { type DiffusionBatch, decoderBatch } from './model.js';
import { loadPriorSamples, nearestRowPerCaption } from './prior-samples.js';
import { upsamplerBatch } from './upsampler.js';

/** The data a model trains on: training rows and a batch builder. */
export interface DataSource {
  rows: number[];
  batch: (rows: number[], rand: () => number, noiseSeed: number, band?: TimestepBand) => DiffusionBatch;
}

export async function dataFor(cfg: ModelConfig, clipDir: string, log: (s: string) => void, priorCond = 0, priorTarget: PriorTarget = 'own', autoencoder?: Autoencoder): Promise<{ data: DataSource; corpus32: Corpus; corpus64?: Corpus; emb?: ImageEmbeddings }> {
  const corpus32 = await loadCorpus({ size: 32, onProgress: terminalBar('corpus 32') });
  const { train } = splitByStyle(corpus32.entries);
  const gather = (c: Corpus, rows: number[]) => {
    const p = c.size * c.size * 3;
    const out = new Uint8Array(rows.length * p);
    rows.forEach((r, i) => out.set(c.images.subarray(r * p, (r + 1) * p), i * p));
    return out;
  };
  if (cfg.kind === 'decoder') {
    const emb = await loadImageEmbeddings({ clipDir, corpus: corpus32, onProgress: terminalBar('clip embeddings') });
    if (emb.dim !== cfg.unet.embDim) throw new Error(`CLIP embeddings are ${emb.dim} wide, the decoder takes ${cfg.unet.embDim}`);
    log(`[decoder] CLIP ${emb.weightsHash.slice(0, 16)}: ${emb.entries.length} image embeddings of width ${emb.dim}`);
    const D = emb.dim;
    const ps = priorCond > 0 ? await loadPriorSamples({ entries: corpus32.entries, rows: train, clipDir, onProgress: terminalBar('prior samples') }) : undefined;
    if (ps && ps.dim !== D) throw new Error(`the prior samples are ${ps.dim} wide, the CLIP embeddings ${D}`);
    if (ps) log(`[decoder] ${Math.round(priorCond * 100)}% of rows conditioned on a prior sample for their caption (${ps.captions.length} captions, ${ps.dir}), drawing ${priorTarget === 'own' ? 'their own image' : "the caption's image nearest the sample"}`);
    const nearest = ps && priorTarget === 'nearest' ? nearestRowPerCaption(ps, emb.embeddings) : undefined;
    // A latent decoder trains on the autoencoder's latents of every row, encoded once (and cached).
    if (autoencoder && !cfg.latent) throw new Error('an autoencoder was passed for a pixel decoder');
    const latents = autoencoder ? await corpusLatents(autoencoder, cfg.latent!.hash, corpus32, { onProgress: terminalBar('latents') }) : undefined;
    const per = latents ? latents.length / corpus32.entries.length : 0;
    const x0Of = (drawn: number[]) => {
      if (!latents) return gather(corpus32, drawn);
      const out = new Float32Array(drawn.length * per);
      drawn.forEach((r, i) => out.set(latents.subarray(r * per, (r + 1) * per), i * per));
      return out;
    };
    return {
      corpus32,
      emb,
      data: {
        rows: train,
        batch: (rows, rand, seed, band) => {
          const e = new Float32Array(rows.length * D);
          const drawn = rows.map((r, i) => {
            // rand is drawn only when prior samples are on, so runs without them keep their RNG stream.
            const c = ps && rand() < priorCond ? ps.captionOf.get(r)! : -1;
            e.set(c >= 0 ? ps!.samples.subarray(c * D, (c + 1) * D) : emb.embeddings.subarray(r * D, (r + 1) * D), i * D);
            return c >= 0 && nearest ? nearest[c]! : r;
          });
          return decoderBatch(cfg, x0Of(drawn), e, rows.length, rand, seed, band);
        },
      },
    };
  }
  const corpus64 = await loadCorpus({ size: 64, onProgress: terminalBar('corpus 64') });
  if (corpus64.entries.length !== corpus32.entries.length || corpus64.entries.some((e, i) => e.key !== corpus32.entries[i]!.key)) {
    throw new Error('the 32x32 and 64x64 corpora list different icons: rebuild the caches (npm run data)');
  }
  return { corpus32, corpus64, data: { rows: train, batch: (rows, rand, seed, band) => upsamplerBatch(cfg, gather(corpus64, rows), gather(corpus32, rows), rows.length, rand, seed, band) } };
}
