// CLIP for 32x32 emoji: a small ViT image encoder and a small causal text transformer, both
// projected into one L2-normalised embedding space and trained with CLIP's symmetric
// contrastive loss and a learned temperature (log scale, clamped so exp(s) <= 100).
//
// Written for the wasm backend's strengths and gaps (DESIGN.md section 2):
// - every dense layer is a 2-D matMul on [rows, in] (the fast path); the transposed products of
//   the backward pass are handled by ml/wasm-matmul.ts;
// - attention heads are folded into the batch axis with ONE transpose per block (rank 5 -> the
//   rest is rank 3/4), because high-rank transposes are slow on wasm;
// - patchify is reshape + transpose (no conv: wasm has no conv filter gradient);
// - the token embedding is a gather whose gradient is a scatter-add done in JS (wasm has no
//   UnsortedSegmentSum, the kernel tf.gather's gradient needs).
// Parameters are plain tensors in a flat Record (tf.Variables while training), named like
// "img.blocks.0.attn.qkv.w", so a checkpoint is just that record.
import * as tf from '@tensorflow/tfjs-core';
import { causalMask, dense as denseLayer, gelu, l2normalize, layerNorm, param, type GradFn, type Params } from '../layers.js';

export { countParams, transpose2d, type Params } from '../layers.js';

export interface ClipConfig {
  imageSize: number; // 32
  patchSize: number; // 4 -> 64 tokens, 8 -> 16 tokens
  imageWidth: number;
  imageDepth: number;
  imageHeads: number;
  vocabSize: number;
  contextLength: number;
  textWidth: number;
  textDepth: number;
  textHeads: number;
  mlpRatio: number;
  embedDim: number;
  /** Initial temperature as a logit scale: ln(1/0.07) in CLIP. */
  initLogitScale: number;
  /** Images are fed in [0, 1] (white background = 1). */
  imageRange: '0..1';
}

export const MAX_LOGIT_SCALE = Math.log(100);


export function defaultConfig(vocabSize: number, contextLength = 16): ClipConfig {
  return {
    imageSize: 32,
    patchSize: 4,
    imageWidth: 128,
    imageDepth: 4,
    imageHeads: 4,
    vocabSize,
    contextLength,
    textWidth: 128,
    textDepth: 3,
    textHeads: 4,
    mlpRatio: 4,
    embedDim: 128,
    initLogitScale: Math.log(1 / 0.07),
    imageRange: '0..1',
  };
}

// ---- initialisation ----------------------------------------------------------------------------

/** Fresh parameters (tensors, caller owns). Deterministic for a given seed. */
export function initParams(cfg: ClipConfig, seed = 1): Params {
  let s = seed * 1000;
  const normal = (shape: number[], std: number) => tf.randomNormal(shape, 0, std, 'float32', s++);
  const p: Params = {};
  const block = (prefix: string, w: number, depth: number) => {
    const hidden = w * cfg.mlpRatio;
    const residStd = 0.02 / Math.sqrt(2 * depth); // GPT-2 style: keep the residual stream's scale
    p[`${prefix}.ln1.g`] = tf.ones([w]);
    p[`${prefix}.ln1.b`] = tf.zeros([w]);
    p[`${prefix}.attn.qkv.w`] = normal([w, 3 * w], 0.02);
    p[`${prefix}.attn.qkv.b`] = tf.zeros([3 * w]);
    p[`${prefix}.attn.out.w`] = normal([w, w], residStd);
    p[`${prefix}.attn.out.b`] = tf.zeros([w]);
    p[`${prefix}.ln2.g`] = tf.ones([w]);
    p[`${prefix}.ln2.b`] = tf.zeros([w]);
    p[`${prefix}.mlp.fc.w`] = normal([w, hidden], 0.02);
    p[`${prefix}.mlp.fc.b`] = tf.zeros([hidden]);
    p[`${prefix}.mlp.out.w`] = normal([hidden, w], residStd);
    p[`${prefix}.mlp.out.b`] = tf.zeros([w]);
  };
  const P = cfg.patchSize;
  const nPatches = (cfg.imageSize / P) ** 2;
  const patchDim = P * P * 3;
  p['img.patch.w'] = normal([patchDim, cfg.imageWidth], 1 / Math.sqrt(patchDim));
  p['img.patch.b'] = tf.zeros([cfg.imageWidth]);
  p['img.pos'] = normal([nPatches, cfg.imageWidth], 0.02);
  for (let i = 0; i < cfg.imageDepth; i++) block(`img.blocks.${i}`, cfg.imageWidth, cfg.imageDepth);
  p['img.ln.g'] = tf.ones([cfg.imageWidth]);
  p['img.ln.b'] = tf.zeros([cfg.imageWidth]);
  p['img.proj'] = normal([cfg.imageWidth, cfg.embedDim], 1 / Math.sqrt(cfg.imageWidth));

  p['txt.tok'] = normal([cfg.vocabSize, cfg.textWidth], 0.02);
  p['txt.pos'] = normal([cfg.contextLength, cfg.textWidth], 0.01);
  for (let i = 0; i < cfg.textDepth; i++) block(`txt.blocks.${i}`, cfg.textWidth, cfg.textDepth);
  p['txt.ln.g'] = tf.ones([cfg.textWidth]);
  p['txt.ln.b'] = tf.zeros([cfg.textWidth]);
  p['txt.proj'] = normal([cfg.textWidth, cfg.embedDim], 1 / Math.sqrt(cfg.textWidth));

  p['logit_scale'] = tf.scalar(cfg.initLogitScale);
  return p;
}

// ---- building blocks (shared ones are in ml/layers.ts) -------------------------------------------

const get = (p: Params, name: string): tf.Tensor => param(p, name, 'CLIP');
const dense = (p: Params, prefix: string, x: tf.Tensor2D): tf.Tensor2D => denseLayer(get(p, `${prefix}.w`), get(p, `${prefix}.b`), x);

/**
 * One pre-norm transformer block on x [B, T, W]. `mask` (optional) is [T, T] added to the
 * attention logits (0 or a large negative number).
 */
function block(p: Params, prefix: string, x: tf.Tensor3D, heads: number, mask?: tf.Tensor2D): tf.Tensor3D {
  const [B, T, W] = x.shape;
  const dh = W / heads;
  const h = tf.reshape(layerNorm(x, get(p, `${prefix}.ln1.g`), get(p, `${prefix}.ln1.b`)), [B * T, W]) as tf.Tensor2D;
  const qkv = dense(p, `${prefix}.attn.qkv`, h); // [B*T, 3W]
  // Fold heads into the batch axis with one rank-4 transpose (rank 5 is ~100x slower on wasm):
  // [B, T, 3H, dh] -> [B, 3H, T, dh], then split the q/k/v thirds along axis 1 (contiguous).
  const qkvT = tf.transpose(tf.reshape(qkv, [B, T, 3 * heads, dh]), [0, 2, 1, 3]); // [B, 3H, T, dh]
  const [q, k, v] = tf.split(qkvT, 3, 1).map((t) => tf.reshape(t, [B * heads, T, dh])) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D]; // each [B*H, T, dh]
  let logits = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)); // [B*H, T, T]
  if (mask) logits = tf.add(logits, mask);
  const att = tf.softmax(logits);
  const o = tf.matMul(att, v); // [B*H, T, dh]
  // Unfold heads: [B, H, T, dh] -> [B, T, H, dh] -> [B*T, W]
  const oMerged = tf.reshape(tf.transpose(tf.reshape(o, [B, heads, T, dh]), [0, 2, 1, 3]), [B * T, W]) as tf.Tensor2D;
  const x1 = tf.add(x, tf.reshape(dense(p, `${prefix}.attn.out`, oMerged), [B, T, W])) as tf.Tensor3D;
  const h2 = tf.reshape(layerNorm(x1, get(p, `${prefix}.ln2.g`), get(p, `${prefix}.ln2.b`)), [B * T, W]) as tf.Tensor2D;
  const m = dense(p, `${prefix}.mlp.out`, gelu(dense(p, `${prefix}.mlp.fc`, h2)) as tf.Tensor2D); // [B*T, W]
  return tf.add(x1, tf.reshape(m, [B, T, W])) as tf.Tensor3D;
}

/**
 * Token embedding lookup table[ids] with a gradient that does not need tf.gather's gradient
 * kernel (UnsortedSegmentSum, missing on wasm): the table gradient is a scatter-add in JS, cheap
 * for B*T rows of width W.
 */
function embedTokens(table: tf.Tensor2D, ids: Int32Array): tf.Tensor2D {
  const [V, W] = table.shape;
  const idsT = tf.tensor1d(ids, 'int32');
  try {
    const f = tf.customGrad(((tbl: tf.Tensor, save: tf.GradSaveFunc) => {
      save([]);
      const value = tf.gather(tbl, idsT) as tf.Tensor2D; // [N, W]
      const gradFunc = (dy: tf.Tensor) => {
        const dyv = dy.dataSync();
        const g = new Float32Array(V * W);
        for (let r = 0; r < ids.length; r++) {
          const row = ids[r]! * W;
          const src = r * W;
          for (let j = 0; j < W; j++) g[row + j]! += dyv[src + j]!;
        }
        return tf.tensor2d(g, [V, W]);
      };
      return { value, gradFunc };
    }) as unknown as GradFn);
    return f(table) as tf.Tensor2D;
  } finally {
    idsT.dispose();
  }
}

// ---- encoders ----------------------------------------------------------------------------------

/** images [B, S, S, 3] in [0, 1] -> unnormalised features [B, D]. */
export function imageFeatures(p: Params, cfg: ClipConfig, images: tf.Tensor4D): tf.Tensor2D {
  const [B, S] = images.shape;
  const P = cfg.patchSize;
  const g = S / P;
  const W = cfg.imageWidth;
  const x = tf.sub(tf.mul(images, 2), 1); // [-1, 1]: white background -> 1
  // Patchify with a rank-4 transpose (rank 6 is slow on wasm):
  // [B*g, P, g, P*3] (row block, row in patch, column block, columns*channels) -> [B*g, g, P, P*3] -> [B*g*g, P*P*3]
  const patches = tf.reshape(tf.transpose(tf.reshape(x, [B * g, P, g, P * 3]), [0, 2, 1, 3]), [B * g * g, P * P * 3]) as tf.Tensor2D;
  let h = tf.add(tf.reshape(dense(p, 'img.patch', patches), [B, g * g, W]), get(p, 'img.pos')) as tf.Tensor3D; // [B, N, W]
  for (let i = 0; i < cfg.imageDepth; i++) h = block(p, `img.blocks.${i}`, h, cfg.imageHeads);
  const pooled = tf.mean(h, 1) as tf.Tensor2D; // [B, W]: mean over patches (no class token: cheaper)
  const normed = layerNorm(pooled, get(p, 'img.ln.g'), get(p, 'img.ln.b')) as tf.Tensor2D;
  return tf.matMul(normed, get(p, 'img.proj') as tf.Tensor2D); // [B, D]
}

/**
 * ids [B*T] (row-major [B, T], T <= contextLength) and eos positions [B] -> features [B, D] and
 * the per-token states [B, T, W] after the final layer norm. Causal attention (a token sees
 * itself and earlier ones), so a batch may be cut after its longest caption's <eos>: the padding
 * after it cannot change any state that is read. Training uses that to skip the padding's cost.
 */
export function textFeatures(p: Params, cfg: ClipConfig, ids: Int32Array, eos: Int32Array): { features: tf.Tensor2D; states: tf.Tensor3D } {
  const W = cfg.textWidth;
  const B = eos.length;
  const T = ids.length / B;
  if (!Number.isInteger(T) || T > cfg.contextLength) throw new Error(`textFeatures: ${ids.length} ids do not make ${B} rows of at most ${cfg.contextLength}`);
  const tok = tf.reshape(embedTokens(get(p, 'txt.tok') as tf.Tensor2D, ids), [B, T, W]); // [B, T, W]
  const pos = T === cfg.contextLength ? get(p, 'txt.pos') : tf.slice(get(p, 'txt.pos'), [0, 0], [T, W]); // [T, W]
  let h = tf.add(tok, pos) as tf.Tensor3D;
  const mask = causalMask(T);
  for (let i = 0; i < cfg.textDepth; i++) h = block(p, `txt.blocks.${i}`, h, cfg.textHeads, mask);
  const states = layerNorm(h, get(p, 'txt.ln.g'), get(p, 'txt.ln.b')) as tf.Tensor3D; // [B, T, W]
  // Pick the <eos> state per row with a one-hot product (differentiable, no gather gradient).
  const sel = new Float32Array(B * T);
  for (let b = 0; b < B; b++) sel[b * T + eos[b]!] = 1;
  const eosState = tf.sum(tf.mul(states, tf.tensor3d(sel, [B, T, 1])), 1) as tf.Tensor2D; // [B, W]
  return { features: tf.matMul(eosState, get(p, 'txt.proj') as tf.Tensor2D), states };
}

export function logitScale(p: Params): tf.Scalar {
  return tf.exp(tf.minimum(get(p, 'logit_scale'), MAX_LOGIT_SCALE)) as tf.Scalar;
}

/**
 * CLIP's symmetric contrastive loss for a batch of B matching (image, text) pairs: row i of each
 * is a positive pair, every other row a negative. Returns the scalar loss (call inside tidy).
 */
export function contrastiveLoss(p: Params, cfg: ClipConfig, images: tf.Tensor4D, ids: Int32Array, eos: Int32Array): tf.Scalar {
  const img = l2normalize(imageFeatures(p, cfg, images)); // [B, D]
  const txt = l2normalize(textFeatures(p, cfg, ids, eos).features); // [B, D]
  const B = img.shape[0];
  const logits = tf.mul(tf.matMul(img, txt, false, true), logitScale(p)) as tf.Tensor2D; // [B, B] image x text
  const eye = tf.eye(B);
  const lossI = tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), eye), 1)));
  const lossT = tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(tf.transpose(logits)), eye), 1)));
  return tf.div(tf.add(lossI, lossT), 2) as tf.Scalar;
}
