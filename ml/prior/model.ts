// The diffusion prior of unCLIP (Ramesh et al. 2022, section 2.1): a decoder-only transformer
// with a causal mask over, in this order (the seed's token layout, a requirement):
//
//   position 0 .. T-1   the caption's tokens: CLIP text-encoder token states [T, Wt], projected
//   position T          the CLIP text embedding [D], scaled, projected
//   position T+1        the diffusion timestep: sinusoidal features -> 2-layer MLP
//   position T+2        the noised CLIP image embedding x_t [D] (already scaled), projected
//   position T+3        a learned final token; its output predicts the UNNOISED x_0 (as the paper)
//
// Scaling: CLIP embeddings are L2-normalised, so each dimension has std ~ 1/sqrt(D). Diffusion's
// noise has std 1 per dimension, so at that scale the signal would drown at tiny t (the known
// pitfall of unCLIP priors). Embeddings are multiplied by `imageScale` (= 1 / measured per-dim std
// of the corpus's image embeddings, stored in the config) before diffusion; samplers see
// unit-variance data, and callers unscale and re-normalise at the end (index.ts).
//
// Classifier-free guidance: per example, `drop` = 1 swaps the text conditioning (the T token
// positions and the text-embedding position) for learned null tokens. Training drops ~10%.
//
// Parameters are plain tensors in a flat Record named like "blocks.0.attn.qkv.w" (tf.Variables
// while training), so a checkpoint is that record. Written for wasm as CLIP's model is: every
// dense layer is a 2-D matMul, heads are folded into the batch with one rank-4 transpose per
// block. Dense, layer norm, GELU and the causal mask are ml/layers.ts's, shared with CLIP; the
// block is its own because it caches the text prefix's keys and values across sampling steps.
import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_SCHEDULE, type ScheduleSpec } from '../diffusion/index.js';
import { causalMask, dense as denseLayer, gelu, layerNorm, param, type Params } from '../layers.js';

export { causalMask, countParams, type Params } from '../layers.js';

export interface PriorConfig {
  /** D: width of the CLIP embedding space (text and image). */
  embedDim: number;
  /** Wt: width of the CLIP text encoder's token states. */
  textWidth: number;
  /** T: number of caption token positions (CLIP's context length). */
  contextLength: number;
  width: number;
  depth: number;
  heads: number;
  mlpRatio: number;
  /** Multiplies L2-normalised image embeddings so each dimension has std ~1 (1 / measured std). */
  imageScale: number;
  /** Same for the text embedding fed as a token. */
  textScale: number;
  /** Share of training examples whose text conditioning is replaced by the null tokens. */
  condDropProb: number;
  /**
   * What the network predicts: x0, as in the paper (and every prior before 2026-11-28), or v
   * (α·ε − σ·x0), whose x0 = α·x_t − σ·v passes x_t through at low noise (see README).
   */
  prediction: 'x0' | 'v';
  /** Hash of the CLIP checkpoint the prior was trained against (the embedding space it models). */
  clipHash: string;
  /** The noise schedule it was trained with (absent in configs written before it was recorded: the default). */
  schedule?: ScheduleSpec;
}


/** Sequence length: T caption tokens + text embedding + timestep + x_t + final token. */
export function sequenceLength(cfg: PriorConfig): number {
  return cfg.contextLength + 4;
}

/** Positions of the single tokens after the caption tokens. */
export function positions(cfg: PriorConfig): { textEmb: number; time: number; noised: number; final: number } {
  const T = cfg.contextLength;
  return { textEmb: T, time: T + 1, noised: T + 2, final: T + 3 };
}

export function defaultPriorConfig(clip: { embedDim: number; textWidth: number; contextLength: number }, over: Partial<PriorConfig> = {}): PriorConfig {
  const cfg: PriorConfig = {
    embedDim: clip.embedDim,
    textWidth: clip.textWidth,
    contextLength: clip.contextLength,
    width: 256,
    depth: 4,
    heads: 4,
    mlpRatio: 2,
    imageScale: Math.sqrt(clip.embedDim),
    textScale: Math.sqrt(clip.embedDim),
    condDropProb: 0.1,
    prediction: 'x0',
    clipHash: '',
    schedule: { ...DEFAULT_SCHEDULE },
    ...over,
  };
  if (cfg.prediction !== 'x0' && cfg.prediction !== 'v') throw new Error(`prior: prediction must be 'x0' or 'v', got ${JSON.stringify(cfg.prediction)}`);
  return cfg;
}

// ---- initialisation ----------------------------------------------------------------------------

/** Fresh parameters (caller owns). Deterministic for a seed. */
export function initPriorParams(cfg: PriorConfig, seed = 1): Params {
  let s = seed * 1000 + 7;
  const normal = (shape: number[], std: number) => tf.randomNormal(shape, 0, std, 'float32', s++);
  const W = cfg.width;
  const hidden = W * cfg.mlpRatio;
  const residStd = 0.02 / Math.sqrt(2 * cfg.depth);
  const p: Params = {};
  const lin = (name: string, i: number, o: number, std = 1 / Math.sqrt(i)) => {
    p[`${name}.w`] = normal([i, o], std);
    p[`${name}.b`] = tf.zeros([o]);
  };
  lin('in.tokens', cfg.textWidth, W);
  lin('in.textEmb', cfg.embedDim, W);
  lin('in.noised', cfg.embedDim, W);
  lin('time.fc1', W, W);
  lin('time.fc2', W, W);
  p['null.tokens'] = normal([cfg.contextLength, W], 0.02);
  p['null.textEmb'] = normal([W], 0.02);
  p['final.token'] = normal([W], 0.02);
  p['pos'] = normal([sequenceLength(cfg), W], 0.02);
  for (let i = 0; i < cfg.depth; i++) {
    const b = `blocks.${i}`;
    p[`${b}.ln1.g`] = tf.ones([W]);
    p[`${b}.ln1.b`] = tf.zeros([W]);
    lin(`${b}.attn.qkv`, W, 3 * W, 0.02);
    lin(`${b}.attn.out`, W, W, residStd);
    p[`${b}.ln2.g`] = tf.ones([W]);
    p[`${b}.ln2.b`] = tf.zeros([W]);
    lin(`${b}.mlp.fc`, W, hidden, 0.02);
    lin(`${b}.mlp.out`, hidden, W, residStd);
  }
  p['ln.g'] = tf.ones([W]);
  p['ln.b'] = tf.zeros([W]);
  lin('out', W, cfg.embedDim, 0.02);
  return p;
}

// ---- building blocks (shared ones are in ml/layers.ts) -------------------------------------------

const get = (p: Params, name: string): tf.Tensor => param(p, name, 'prior');
const dense = (p: Params, prefix: string, x: tf.Tensor2D): tf.Tensor2D => denseLayer(get(p, `${prefix}.w`), get(p, `${prefix}.b`), x);

/** Keys and values of earlier positions at one block, heads folded into the batch: [B*H, P, dh] each. */
export interface PastKV {
  k: tf.Tensor3D;
  v: tf.Tensor3D;
}

/**
 * Pre-norm transformer block on x [B, S, W] (heads folded into the batch once). `past` holds the
 * keys and values of P earlier positions (or null); `mask` [S, P+S] is added to the logits.
 * Returns the output and the keys/values of all P+S positions (for a cache).
 */
function block(p: Params, prefix: string, x: tf.Tensor3D, heads: number, mask: tf.Tensor2D, past: PastKV | null): { y: tf.Tensor3D; kv: PastKV } {
  const [B, S, W] = x.shape;
  const dh = W / heads;
  const h = tf.reshape(layerNorm(x, get(p, `${prefix}.ln1.g`), get(p, `${prefix}.ln1.b`)), [B * S, W]) as tf.Tensor2D;
  const qkv = dense(p, `${prefix}.attn.qkv`, h); // [B*S, 3W]
  // [B, S, 3H, dh] -> [B, 3H, S, dh] (one rank-4 transpose), then q/k/v are contiguous thirds.
  const qkvT = tf.transpose(tf.reshape(qkv, [B, S, 3 * heads, dh]), [0, 2, 1, 3]); // [B, 3H, S, dh]
  const [q, kNew, vNew] = tf.split(qkvT, 3, 1).map((t) => tf.reshape(t, [B * heads, S, dh])) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D]; // [B*H, S, dh]
  const k = past ? (tf.concat([past.k, kNew], 1) as tf.Tensor3D) : kNew; // [B*H, P+S, dh]
  const v = past ? (tf.concat([past.v, vNew], 1) as tf.Tensor3D) : vNew;
  const logits = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)), mask); // [B*H, S, P+S]
  const o = tf.matMul(tf.softmax(logits), v); // [B*H, S, dh]
  const merged = tf.reshape(tf.transpose(tf.reshape(o, [B, heads, S, dh]), [0, 2, 1, 3]), [B * S, W]) as tf.Tensor2D; // [B*S, W]
  const x1 = tf.add(x, tf.reshape(dense(p, `${prefix}.attn.out`, merged), [B, S, W])) as tf.Tensor3D;
  const h2 = tf.reshape(layerNorm(x1, get(p, `${prefix}.ln2.g`), get(p, `${prefix}.ln2.b`)), [B * S, W]) as tf.Tensor2D;
  const m = dense(p, `${prefix}.mlp.out`, gelu(dense(p, `${prefix}.mlp.fc`, h2)) as tf.Tensor2D); // [B*S, W]
  return { y: tf.add(x1, tf.reshape(m, [B, S, W])) as tf.Tensor3D, kv: { k, v } };
}

/** [S, P+S] additive mask: the S new positions see all P earlier ones and, causally, each other. */
function suffixMask(P: number, S: number): tf.Tensor2D {
  const m = new Float32Array(S * (P + S));
  for (let i = 0; i < S; i++) for (let j = P + i + 1; j < P + S; j++) m[i * (P + S) + j] = -1e9;
  return tf.tensor2d(m, [S, P + S]);
}

/** Sinusoidal features of integer timesteps t [B] -> [B, W] (W even), as in the transformer. */
export function timestepFeatures(t: tf.Tensor1D, W: number): tf.Tensor2D {
  const half = W / 2;
  const freqs = new Float32Array(half);
  for (let i = 0; i < half; i++) freqs[i] = Math.exp((-Math.log(10000) * i) / half);
  const args = tf.mul(tf.reshape(tf.cast(t, 'float32'), [-1, 1]), tf.tensor2d(freqs, [1, half])); // [B, half]
  return tf.concat([tf.sin(args), tf.cos(args)], 1) as tf.Tensor2D; // [B, W]
}

// ---- the network -------------------------------------------------------------------------------

/**
 * What conditions the prior. `tokenStates` [B, T, Wt] are CLIP's per-token text states, and
 * `textEmbeddings` [B, D] its L2-normalised text embeddings (this file scales them). `drop` [B]
 * (float, 1 = use the null tokens instead of this row's text) is optional; absent = keep all.
 */
export interface PriorCond {
  tokenStates: tf.Tensor3D;
  textEmbeddings: tf.Tensor2D;
  drop?: tf.Tensor1D;
}

/** The text prefix (caption tokens, then the text embedding), before position embeddings: [B, T+1, W]. */
function prefixTokens(p: Params, cfg: PriorConfig, B: number, cond: PriorCond | null): tf.Tensor3D {
  const T = cfg.contextLength;
  const W = cfg.width;
  const D = cfg.embedDim;
  const nullTok = tf.broadcastTo(tf.reshape(get(p, 'null.tokens'), [1, T, W]), [B, T, W]); // [B, T, W]
  const nullEmb = tf.broadcastTo(tf.reshape(get(p, 'null.textEmb'), [1, 1, W]), [B, 1, W]); // [B, 1, W]
  if (cond === null) return tf.concat([nullTok, nullEmb], 1) as tf.Tensor3D;
  const { tokenStates, textEmbeddings } = cond;
  if (tokenStates.shape[0] !== B || tokenStates.shape[1] !== T || tokenStates.shape[2] !== cfg.textWidth) {
    throw new Error(`prior: tokenStates [${tokenStates.shape}], want [${B}, ${T}, ${cfg.textWidth}]`);
  }
  if (textEmbeddings.shape[0] !== B || textEmbeddings.shape[1] !== D) throw new Error(`prior: textEmbeddings [${textEmbeddings.shape}], want [${B}, ${D}]`);
  const tp = tf.reshape(dense(p, 'in.tokens', tf.reshape(tokenStates, [B * T, cfg.textWidth]) as tf.Tensor2D), [B, T, W]); // [B, T, W]
  const ep = tf.reshape(dense(p, 'in.textEmb', tf.mul(textEmbeddings, cfg.textScale) as tf.Tensor2D), [B, 1, W]); // [B, 1, W]
  if (!cond.drop) return tf.concat([tp, ep], 1) as tf.Tensor3D;
  const d = tf.reshape(cond.drop, [B, 1, 1]); // 1 = null
  const keep = tf.sub(1, d);
  return tf.concat([tf.add(tf.mul(tp, keep), tf.mul(nullTok, d)), tf.add(tf.mul(ep, keep), tf.mul(nullEmb, d))], 1) as tf.Tensor3D;
}

/** The diffusion suffix (timestep, x_t, final token), before position embeddings: [B, 3, W]. */
function suffixTokens(p: Params, cfg: PriorConfig, xt: tf.Tensor2D, t: tf.Tensor1D): tf.Tensor3D {
  const B = xt.shape[0];
  const W = cfg.width;
  if (xt.shape[1] !== cfg.embedDim) throw new Error(`prior: x_t is [${xt.shape}], want [B, ${cfg.embedDim}]`);
  const time = dense(p, 'time.fc2', gelu(dense(p, 'time.fc1', timestepFeatures(t, W))) as tf.Tensor2D); // [B, W]
  const noised = dense(p, 'in.noised', xt); // [B, W]
  const fin = tf.broadcastTo(tf.reshape(get(p, 'final.token'), [1, 1, W]), [B, 1, W]); // [B, 1, W]
  return tf.concat([tf.reshape(time, [B, 1, W]), tf.reshape(noised, [B, 1, W]), fin], 1) as tf.Tensor3D; // [B, 3, W]
}

/** Position embeddings rows [from, from + n): [n, W]. */
function pos(p: Params, cfg: PriorConfig, from: number, n: number): tf.Tensor2D {
  return tf.slice(get(p, 'pos'), [from, 0], [n, cfg.width]) as tf.Tensor2D;
}

/**
 * The transformer's final hidden states at every position, [B, L, W] (after the last layer norm).
 * `xt` [B, D] is the noised image embedding in the SCALED space; `t` [B] int32; `cond` null = the
 * null condition for every row. Call inside tf.tidy.
 */
export function priorStates(p: Params, cfg: PriorConfig, xt: tf.Tensor2D, t: tf.Tensor1D, cond: PriorCond | null): tf.Tensor3D {
  const B = xt.shape[0];
  const seq = tf.concat([prefixTokens(p, cfg, B, cond), suffixTokens(p, cfg, xt, t)], 1); // [B, L, W]
  const L = sequenceLength(cfg);
  let h = tf.add(seq, get(p, 'pos')) as tf.Tensor3D; // [B, L, W]
  const mask = causalMask(L);
  for (let i = 0; i < cfg.depth; i++) h = block(p, `blocks.${i}`, h, cfg.heads, mask, null).y;
  return layerNorm(h, get(p, 'ln.g'), get(p, 'ln.b')) as tf.Tensor3D;
}

/**
 * The causal layout's dividend for sampling: the text prefix (caption tokens and text embedding)
 * comes before everything diffusion changes, so its keys and values at every layer are the same
 * at every step. Compute them once per sampling run; each step then runs only the 3 suffix
 * positions (timestep, x_t, final) against them, about 1/7 of the full sequence's work.
 */
export interface PrefixCache {
  rows: number;
  /** Per block. */
  kv: PastKV[];
}

/** The prefix cache for a condition (rows = B). The caller owns it: disposePrefixCache. */
export function prefixCache(p: Params, cfg: PriorConfig, B: number, cond: PriorCond | null): PrefixCache {
  const kv = tf.tidy(() => {
    const P = cfg.contextLength + 1;
    let h = tf.add(prefixTokens(p, cfg, B, cond), pos(p, cfg, 0, P)) as tf.Tensor3D; // [B, P, W]
    const mask = causalMask(P);
    const out: tf.Tensor[] = [];
    for (let i = 0; i < cfg.depth; i++) {
      const r = block(p, `blocks.${i}`, h, cfg.heads, mask, null);
      h = r.y;
      out.push(r.kv.k, r.kv.v);
    }
    return out;
  });
  const layers: PastKV[] = [];
  for (let i = 0; i < cfg.depth; i++) layers.push({ k: kv[2 * i] as tf.Tensor3D, v: kv[2 * i + 1] as tf.Tensor3D });
  return { rows: B, kv: layers };
}

export function disposePrefixCache(c: PrefixCache): void {
  for (const l of c.kv) tf.dispose([l.k, l.v]);
}

/** priorForward with the text prefix from a cache: its output [B, D] (cfg.prediction, scaled space). Call inside tf.tidy. */
export function priorForwardCached(p: Params, cfg: PriorConfig, cache: PrefixCache, xt: tf.Tensor2D, t: tf.Tensor1D): tf.Tensor2D {
  const B = xt.shape[0];
  if (cache.rows !== B) throw new Error(`prior: prefix cache has ${cache.rows} rows, x_t ${B}`);
  const P = cfg.contextLength + 1;
  let h = tf.add(suffixTokens(p, cfg, xt, t), pos(p, cfg, P, 3)) as tf.Tensor3D; // [B, 3, W]
  const mask = suffixMask(P, 3);
  for (let i = 0; i < cfg.depth; i++) h = block(p, `blocks.${i}`, h, cfg.heads, mask, cache.kv[i]!).y;
  const last = tf.reshape(tf.slice(layerNorm(h, get(p, 'ln.g'), get(p, 'ln.b')), [0, 2, 0], [B, 1, cfg.width]), [B, cfg.width]) as tf.Tensor2D; // [B, W]
  return dense(p, 'out', last); // [B, D]
}

/**
 * The prior as a denoiser: its output [B, D] in cfg.prediction's parameterisation (x0 or v, the
 * scaled space), read from the final token. Call inside tf.tidy.
 */
export function priorForward(p: Params, cfg: PriorConfig, xt: tf.Tensor2D, t: tf.Tensor1D, cond: PriorCond | null): tf.Tensor2D {
  const states = priorStates(p, cfg, xt, t, cond); // [B, L, W]
  const B = xt.shape[0];
  const last = tf.reshape(tf.slice(states, [0, positions(cfg).final, 0], [B, 1, cfg.width]), [B, cfg.width]) as tf.Tensor2D; // [B, W]
  return dense(p, 'out', last); // [B, D]
}

/**
 * [P+3K, P+3K] additive mask of a packed sequence: the caption prefix (P positions, causal), then
 * K diffusion suffixes of 3 positions, each seeing the prefix and, causally, only itself. Every
 * suffix then computes what it would alone after the prefix (the full sequence's arithmetic).
 */
export function packedMask(P: number, K: number): tf.Tensor2D {
  const L = P + 3 * K;
  const m = new Float32Array(L * L);
  for (let i = 0; i < L; i++) {
    for (let j = 0; j < L; j++) {
      const sees = i < P ? j <= i : j < P || (Math.floor((j - P) / 3) === Math.floor((i - P) / 3) && j <= i);
      if (!sees) m[i * L + j] = -1e9;
    }
  }
  return tf.tensor2d(m, [L, L]);
}

/**
 * The prior's output for K diffusion suffixes per caption in one packed sequence per caption
 * (prefix, then suffix 0, suffix 1, ...; packedMask keeps them apart): `cond` has B rows, `xt`
 * and `t` have B*K (row b*K + k belongs to caption b). Output [B*K, D], row for row what
 * priorForward gives. The prefix (17 of 20 positions) runs once per caption, so training sees K
 * examples for much less than K times the work (README, "Shared-prefix training"). Call inside tf.tidy.
 */
export function priorForwardPacked(p: Params, cfg: PriorConfig, xt: tf.Tensor2D, t: tf.Tensor1D, cond: PriorCond | null, K: number): tf.Tensor2D {
  const B = xt.shape[0] / K;
  if (!Number.isInteger(B) || (cond && cond.textEmbeddings.shape[0] !== B)) throw new Error(`prior: ${xt.shape[0]} suffix rows for ${cond?.textEmbeddings.shape[0]} captions x ${K}`);
  const P = cfg.contextLength + 1;
  const W = cfg.width;
  const prefix = tf.add(prefixTokens(p, cfg, B, cond), pos(p, cfg, 0, P)); // [B, P, W]
  const suffixes = tf.reshape(tf.add(suffixTokens(p, cfg, xt, t), pos(p, cfg, P, 3)), [B, 3 * K, W]); // [B, 3K, W]
  let h = tf.concat([prefix, suffixes], 1) as tf.Tensor3D; // [B, P+3K, W]
  const mask = packedMask(P, K);
  for (let i = 0; i < cfg.depth; i++) h = block(p, `blocks.${i}`, h, cfg.heads, mask, null).y;
  const out = tf.slice(layerNorm(h, get(p, 'ln.g'), get(p, 'ln.b')), [0, P, 0], [B, 3 * K, W]); // [B, 3K, W]
  const finals = tf.reshape(tf.slice(tf.reshape(out, [B, K, 3, W]), [0, 0, 2, 0], [B, K, 1, W]), [B * K, W]) as tf.Tensor2D; // each suffix's final token
  return dense(p, 'out', finals); // [B*K, D]
}

/**
 * Training loss: mean squared error between the network's output and `target` [B, D], what it
 * should predict in cfg.prediction's parameterisation (the diffusion module's trainingTarget: the
 * true x0 in the scaled space for 'x0', the paper's objective). `xt` and the target are computed
 * by the caller (so the one diffusion module owns the forward process). With K > 1 the rows are
 * K suffixes per caption (`cond` has B rows, the rest B*K) and run packed (priorForwardPacked).
 * Call inside tf.tidy.
 */
export function priorLoss(p: Params, cfg: PriorConfig, xt: tf.Tensor2D, target: tf.Tensor2D, t: tf.Tensor1D, cond: PriorCond, K = 1): tf.Scalar {
  const pred = K === 1 ? priorForward(p, cfg, xt, t, cond) : priorForwardPacked(p, cfg, xt, t, cond, K);
  return tf.mean(tf.square(tf.sub(pred, target))) as tf.Scalar;
}
