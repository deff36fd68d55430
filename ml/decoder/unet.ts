// The U-Net both image models are built from (one code path, configured): the 32x32 decoder and
// the 32→64 upsampler. ADM/GLIDE-style, sized by the measurements of experiments/unet-probe.ts ("unet-lite"):
//
//   stem        3x3 conv (decoder), or a 2x2 stride-2 "space-to-depth" conv (upsampler: 64x64 in,
//               the U-Net runs from 32x32, and a 2x2 stride-2 transposed conv returns to 64x64)
//   down        per level: `blocks` res-blocks (+ self-attention at the resolutions in attnRes),
//               then a stride-2 3x3 conv
//   middle      res-block, attention, res-block
//   up          per level: concat the skip, res-blocks (+ attention), nearest-neighbour x2 (+ 3x3 conv)
//   out         GroupNorm, SiLU, 3x3 conv (zero-initialised, so a fresh net predicts 0)
//
// A res-block is GroupNorm → SiLU → conv → + dense(embedding) → GroupNorm → SiLU → conv (zero
// init), plus the input (1x1 conv when widths differ). The embedding every res-block reads is
// MLP(sinusoid(t)), plus (decoder) a projection of the CLIP image embedding, plus (upsampler) an
// MLP of the noise-augmentation level of its low-res input.
//
// CLIP conditioning, both ways the DALL-E 2 paper (and the seed) name:
//   1. projected and ADDED to the timestep embedding (`clip.emb`), so every res-block sees it;
//   2. projected into `contextTokens` (4) extra tokens (`clip.ctx`) that every attention layer
//      attends to alongside the image tokens (GLIDE's encoder_kv: each layer has its own key and
//      value projections for them, `<layer>.ck`, `<layer>.cv`).
// The embedding is L2-normalised and scaled by √D first (unit-variance components, whatever the
// caller passes: CLIP image embedding, the prior's output, or a text embedding). A learned null
// embedding (`clip.null`, [D]) stands in for "no embedding": per row where `keep` is 0 during
// training (classifier-free guidance dropout), and for every row when the condition is null.
//
// Parameters are tf.Variables in a map keyed by stable names ("d1.0.c1.w", "mid.a.q.w", ...): the
// names in the checkpoint. The variables' own names carry a per-instance prefix so several models
// can live in one process. The layers (dense, conv, norms, res-block, attention block, the
// timestep sinusoid and position code) are unet-blocks.ts; this file is the configuration, the
// parameter store and the network assembled from them.
import * as tf from '@tensorflow/tfjs-core';
import { ParamStore, type ParamStoreOptions } from './param-store.js';
import { attnBlock, conv, dense, groupNorm, layerNorm, positionFeatures, resBlock, silu, sinusoid, type ParamSource } from './unet-blocks.js';

export interface UNetConfig {
  /** Side of the images it takes and returns. */
  imageSize: number;
  /** Channels of the image being denoised (3). */
  outChannels: number;
  /** Extra input channels concatenated to x_t (upsampler: the low-res image, upsampled: 3). */
  condChannels: number;
  /** 'conv': 3x3 conv at full resolution; 's2d': 2x2 stride-2 patch stem, U-Net at half resolution. */
  stem: 'conv' | 's2d';
  /** Channels per level, from the top; each level after the first halves the resolution. */
  channels: number[];
  /** Res-blocks per level (down and up). */
  blocks: number;
  /** A 3x3 conv after each nearest-neighbour upsample (false: the next res-block's convs do that work, ~25% fewer FLOPs). */
  upConv: boolean;
  /** Resolutions (inside the stem) that get self-attention; the middle always does when any does. */
  attnRes: number[];
  heads: number;
  /** Width of the timestep embedding every res-block reads. */
  tdim: number;
  /** Width of the CLIP embedding it is conditioned on; 0 = not conditioned (upsampler). */
  embDim: number;
  /** Context tokens the CLIP embedding is projected into (DALL-E 2: 4). */
  contextTokens: number;
  /** Conditioned on a noise-augmentation level of its low-res input (upsampler). */
  augCond: boolean;
  /**
   * Channels of a full-resolution refinement head on an s2d U-Net (absent or 0: none). The s2d
   * U-Net never sees a single pixel at full resolution, and it measurably fails at the per-pixel
   * work of the last, low-noise steps (it removes about half of the noise at t = 20 from flat
   * emoji); the head is two 3x3 convs at full resolution over x_t, the U-Net's output and its
   * last features, added to the output (zero-initialised, so growing it onto a trained U-Net
   * leaves the function unchanged).
   */
  refine?: number;
  /**
   * Add a learned position code to the stem's output (absent or false: none). Without it the net
   * knows where a cell is only through zero padding. The question it was added to test: at t near
   * 1000 the input is pure noise, so can the net lay out a heart's notch or an apple's leaf from
   * padding alone? (What it did: ml/decoder/README.md.) The code is fixed 2D Fourier features of the
   * cell's coordinates times a zero-initialised [F, C] matrix (`pos.w`), so growing it onto a
   * trained net leaves the function unchanged, and each entry of the matrix moves the code at all
   * cells at once rather than at one, as a per-cell table's would.
   */
  pos?: boolean;
}

/** What conditions one forward pass. */
export interface UNetCond {
  /** [B, embDim] CLIP embeddings (any scale: normalised inside), or null: the null embedding for every row. */
  emb?: tf.Tensor2D | null;
  /** [B] 1 = use the row's embedding, 0 = the null embedding (guidance dropout, or cond and uncond in one batch). */
  keep?: tf.Tensor1D | null;
  /** [B, S, S, condChannels] extra input channels (upsampler: low-res image upsampled to S, in [-1, 1]). */
  lowres?: tf.Tensor4D;
  /** [B] noise-augmentation timestep of `lowres` (upsampler). */
  augT?: tf.Tensor1D;
}

export class UNet {
  readonly config: UNetConfig;
  private readonly store: ParamStore;
  private readonly p: ParamSource;

  /**
   * A fresh network (seeded init) or, with `tensors`, one holding those values (copied into
   * variables; the caller still owns `tensors`). Throws if `tensors` lacks a parameter or has
   * one the config does not use; with `grow`, a parameter they lack is initialised fresh instead.
   */
  constructor(config: UNetConfig, opts: ParamStoreOptions = {}) {
    validate(config);
    this.config = config;
    this.store = new ParamStore({ ...opts, name: opts.name ?? 'U-Net' });
    this.p = this.store.p;
    // One forward pass at batch 1 creates every parameter (the architecture is written once, in
    // apply()); after it, asking for an unknown parameter is an error.
    this.store.create(() => {
      const S = config.imageSize;
      this.apply(
        tf.zeros([1, S, S, config.outChannels]) as tf.Tensor4D,
        tf.zeros([1], 'int32') as tf.Tensor1D,
        {
          emb: config.embDim ? (tf.ones([1, config.embDim]) as tf.Tensor2D) : null,
          lowres: config.condChannels ? (tf.zeros([1, S, S, config.condChannels]) as tf.Tensor4D) : undefined,
          augT: config.augCond ? (tf.zeros([1], 'int32') as tf.Tensor1D) : undefined,
        },
      );
    });
  }

  /** Parameters by stable name (the checkpoint's names). */
  get params(): Map<string, tf.Variable> {
    return this.store.params;
  }

  /** Parameters the constructor initialised fresh although `tensors` were given (grow). */
  get grown(): string[] {
    return this.store.grown;
  }

  /** Parameter names, sorted (checkpoint and optimizer order). */
  get names(): string[] {
    return this.store.names;
  }

  /** Number of scalar parameters. */
  get size(): number {
    return this.store.size;
  }

  /** The variable's engine name for a parameter name (what optimizers key their state by). */
  variableName(param: string): string {
    return this.store.variableName(param);
  }

  /** Parameters as a name → tensor record (the variables themselves: do not dispose). */
  tensors(): Record<string, tf.Tensor> {
    return this.store.tensors();
  }

  dispose(): void {
    this.store.dispose();
  }

  // ---- the network -------------------------------------------------------------------------

  /**
   * The network's output [B, S, S, outChannels] for x_t [B, S, S, outChannels] at timesteps t
   * ([B] int32 in [0, T-1]). Synchronous; call inside tf.tidy.
   */
  apply(x: tf.Tensor4D, t: tf.Tensor1D, cond: UNetCond = {}): tf.Tensor4D {
    const cfg = this.config;
    const [B, S] = x.shape;
    if (S !== cfg.imageSize || x.shape[2] !== cfg.imageSize || x.shape[3] !== cfg.outChannels) {
      throw new Error(`U-Net wants [B, ${cfg.imageSize}, ${cfg.imageSize}, ${cfg.outChannels}], got [${x.shape}]`);
    }
    const c0 = cfg.channels[0]!;
    // Timestep embedding: sinusoid → dense → SiLU → dense.
    let emb = dense(this.p, 'temb.2', silu(dense(this.p, 'temb.1', sinusoid(t, c0), c0, cfg.tdim)), cfg.tdim, cfg.tdim) as tf.Tensor2D; // [B, tdim]

    let ctx: tf.Tensor3D | null = null;
    if (cfg.embDim) {
      const D = cfg.embDim;
      const nul = tf.reshape(this.p('clip.null', [D], { kind: 'normal', std: 1 }), [1, D]); // [1, D]
      let e: tf.Tensor2D;
      if (!cond.emb) {
        e = tf.tile(nul, [B, 1]) as tf.Tensor2D;
      } else {
        if (cond.emb.shape[0] !== B || cond.emb.shape[1] !== D) throw new Error(`embeddings [${cond.emb.shape}], want [${B}, ${D}]`);
        const unit = tf.mul(cond.emb, tf.rsqrt(tf.add(tf.sum(tf.square(cond.emb), 1, true), 1e-12)));
        e = tf.mul(unit, Math.sqrt(D)) as tf.Tensor2D; // [B, D], unit-variance components
        if (cond.keep) {
          const keep = tf.reshape(tf.cast(cond.keep, 'float32'), [B, 1]); // [B, 1]
          e = tf.add(tf.mul(keep, e), tf.mul(tf.sub(1, keep), nul)) as tf.Tensor2D;
        }
      }
      emb = tf.add(emb, dense(this.p, 'clip.emb', e, D, cfg.tdim)) as tf.Tensor2D; // way 1: added to the timestep embedding
      const tokens = tf.reshape(dense(this.p, 'clip.ctx', e, D, cfg.contextTokens * cfg.tdim), [B, cfg.contextTokens, cfg.tdim]); // way 2: [B, 4, tdim]
      ctx = layerNorm(this.p, 'clip.ctx.ln', tokens, cfg.tdim) as tf.Tensor3D;
    } else if (cond.emb) {
      throw new Error('this U-Net is not conditioned on an embedding');
    }
    if (cfg.augCond) {
      if (!cond.augT) throw new Error('this U-Net needs the noise-augmentation level augT');
      emb = tf.add(emb, dense(this.p, 'aug.2', silu(dense(this.p, 'aug.1', sinusoid(cond.augT, c0), c0, cfg.tdim)), cfg.tdim, cfg.tdim)) as tf.Tensor2D;
    }
    const embS = silu(emb) as tf.Tensor2D;

    let input: tf.Tensor4D = x;
    if (cfg.condChannels) {
      if (!cond.lowres) throw new Error('this U-Net needs the conditioning image lowres');
      input = tf.concat([x, cond.lowres], 3); // [B, S, S, out + cond]
    }
    const cin = cfg.outChannels + cfg.condChannels;
    let h = cfg.stem === 's2d' ? conv(this.p, 'in', input, cin, c0, 2, 2) : conv(this.p, 'in', input, cin, c0);
    if (cfg.pos) {
      const side = h.shape[1];
      const f = positionFeatures(side); // [side², F]
      const code = tf.matMul(f, this.p('pos.w', [f.shape[1], c0], { kind: 'zeros' })); // [side², c0]
      h = tf.add(h, tf.reshape(code, [1, side, side, c0])); // the same code for every row of the batch
    }
    const last = cfg.channels.length - 1;
    const skips: tf.Tensor4D[] = [];
    let c = c0;
    for (let lvl = 0; lvl <= last; lvl++) {
      const co = cfg.channels[lvl]!;
      const attn = cfg.attnRes.includes(h.shape[1]);
      for (let i = 0; i < cfg.blocks; i++) {
        h = resBlock(this.p, `d${lvl}.${i}`, h, c, co, embS, cfg.tdim);
        c = co;
        if (attn) h = attnBlock(this.p, `d${lvl}.${i}.a`, h, ctx, cfg.heads, cfg.tdim);
      }
      skips.push(h);
      if (lvl < last) h = conv(this.p, `d${lvl}.down`, h, c, c, 3, 2);
    }
    h = resBlock(this.p, 'mid.1', h, c, c, embS, cfg.tdim);
    if (cfg.attnRes.length) h = attnBlock(this.p, 'mid.a', h, ctx, cfg.heads, cfg.tdim);
    h = resBlock(this.p, 'mid.2', h, c, c, embS, cfg.tdim);
    for (let lvl = last; lvl >= 0; lvl--) {
      const co = cfg.channels[lvl]!;
      const s = skips[lvl]!;
      const attn = cfg.attnRes.includes(h.shape[1]);
      h = tf.concat([h, s], 3); // [B, h, w, c + skip]
      c += s.shape[3];
      for (let i = 0; i < cfg.blocks; i++) {
        h = resBlock(this.p, `u${lvl}.${i}`, h, c, co, embS, cfg.tdim);
        c = co;
        if (attn) h = attnBlock(this.p, `u${lvl}.${i}.a`, h, ctx, cfg.heads, cfg.tdim);
      }
      if (lvl > 0) {
        const [, hh, ww] = h.shape;
        h = tf.image.resizeNearestNeighbor(h, [hh * 2, ww * 2]); // [B, 2h, 2w, c]
        if (cfg.upConv) h = conv(this.p, `u${lvl}.up`, h, c, c);
      }
    }
    const final = silu(groupNorm(this.p, 'out.n', h));
    if (cfg.stem === 'conv') return conv(this.p, 'out', final, c, cfg.outChannels, 3, 1, true);
    const w = this.p('out.w', [2, 2, cfg.outChannels, c], { kind: 'zeros' }) as tf.Tensor4D; // transposed conv: [k, k, out, in]
    const y = tf.add(tf.conv2dTranspose(final, w, [B, S, S, cfg.outChannels], 2, 'valid'), this.p('out.b', [cfg.outChannels], { kind: 'zeros' })) as tf.Tensor4D;
    return cfg.refine ? this.refineHead(input, y, final, embS, cfg.refine) : y;
  }

  /** The full-resolution refinement head (UNetConfig.refine): y + a correction from x_t, y and the last features. */
  private refineHead(input: tf.Tensor4D, y: tf.Tensor4D, final: tf.Tensor4D, embS: tf.Tensor2D, r: number): tf.Tensor4D {
    const { tdim, outChannels } = this.config;
    const [, S] = input.shape;
    const features = tf.image.resizeNearestNeighbor(conv(this.p, 'refine.ctx', final, final.shape[3], r, 1), [S, S]); // [B, S, S, r]
    let f: tf.Tensor4D = tf.add(conv(this.p, 'refine.in', tf.concat([input, y], 3), input.shape[3] + outChannels, r), features);
    f = tf.add(f, tf.reshape(dense(this.p, 'refine.e', embS, tdim, r), [-1, 1, 1, r])); // the timestep decides how much to correct
    f = conv(this.p, 'refine.c', silu(groupNorm(this.p, 'refine.n1', f)), r, r);
    return tf.add(y, conv(this.p, 'refine.out', silu(groupNorm(this.p, 'refine.n2', f)), r, outChannels, 3, 1, true));
  }
}

function validate(c: UNetConfig): void {
  const down = 2 ** (c.channels.length - 1) * (c.stem === 's2d' ? 2 : 1);
  if (!c.channels.length || c.imageSize % down !== 0) throw new Error(`imageSize ${c.imageSize} must divide by ${down} for ${c.channels.length} levels`);
  for (const ch of c.channels) {
    if (ch % 4 !== 0 || (ch / Math.min(8, ch / 4)) % 1 !== 0) throw new Error(`channel count ${ch} must be a multiple of 4 (GroupNorm)`);
    if (c.attnRes.length && ch % c.heads !== 0) throw new Error(`channel count ${ch} must divide by ${c.heads} heads`);
  }
  if (c.channels[0]! % 2 !== 0) throw new Error('the first channel count must be even (sinusoid)');
  if (c.embDim && (!c.contextTokens || c.contextTokens < 1)) throw new Error('an embedding-conditioned U-Net needs context tokens');
  if (c.refine && (c.stem !== 's2d' || c.refine % 4 !== 0)) throw new Error(`a refinement head (refine ${c.refine}) needs the s2d stem and a multiple of 4 channels`);
}
