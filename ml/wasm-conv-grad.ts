// Conv-net training on the wasm backend. tfjs-backend-wasm 4.22 ships no `Conv2DBackpropFilter`
// kernel (a conv layer's weight gradient), so a conv net cannot train on it at all; its
// `Conv2DBackpropInput` (the gradient flowing back to the layer's input, also conv2dTranspose's
// forward) exists but runs at about 1.4 GFLOP/s here, against about 17 for the XNNPACK forward
// conv. This file registers a filter-gradient kernel built from fast pieces, optionally replaces
// the input-gradient kernel with a forward conv, and adds `UnsortedSegmentSum` (the gradient of
// `tf.gather`, so embedding tables can train).
//
// Filter gradient, dW[i, j] = Σ_{n,h,w} x_pad[n, s·h + i, s·w + j, :]ᵀ · dy[n, h, w, :]. Slicing
// the padded input at each kernel offset as a 4-D tensor is slow on wasm (its 4-D Slice copies
// one channel row at a time), so the input is laid out once as a 2-D matrix Xᵀ [Ci, L] over the
// flattened (n, h, w) positions of a grid with the output's row width. On that grid a kernel
// offset (i, j) is a constant shift of the flattened index, so each offset's operand is a
// contiguous column window of Xᵀ (a 2-D slice: Ci memcpys) and dW[i, j] is one plain, untransposed
// matmul [Ci, L] × [L, Co]. dy is zero-padded onto the same grid, so positions that would wrap
// from one row (or image) into the next are multiplied by zeros. Stride s > 1 splits the padded
// input into s×s phases (x_pad[:, a::s, b::s]); inside a phase the correlation has stride 1.
import * as tf from '@tensorflow/tfjs-core';

type TensorInfo = tf.TensorInfo;
type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

interface FilterGradAttrs {
  strides: number | [number, number];
  pad: Pad;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}
interface InputGradAttrs {
  strides: number | [number, number];
  pad: Pad;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}
interface WasmBackendLike {
  readSync(dataId: object): ArrayLike<number>;
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

export interface WasmConvGradOptions {
  /** Replace wasm's slow Conv2DBackpropInput with a forward conv on the flipped filter (default true). */
  backpropInput?: boolean;
}

export interface WasmConvGradStatus {
  filter: boolean;
  input: boolean;
  segmentSum: boolean;
}

const status: WasmConvGradStatus = { filter: false, input: false, segmentSum: false };

/**
 * Registers the missing/slow conv gradient kernels for the wasm backend. Does nothing unless the
 * active backend is wasm; registers each kernel only where wasm lacks it (the input-gradient
 * replacement is the exception: it swaps the slow stock kernel, keeping it as a fallback for
 * cases it does not cover). Idempotent. Returns what is installed.
 */
export function installWasmConvGrad(opts: WasmConvGradOptions = {}): WasmConvGradStatus {
  if (tf.getBackend() !== 'wasm') return { ...status };
  if (!status.filter && !tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')) {
    tf.registerKernel({ kernelName: tf.Conv2DBackpropFilter, backendName: 'wasm', kernelFunc: conv2dBackpropFilter as unknown as tf.KernelFunc });
    status.filter = true;
  }
  if (!status.segmentSum && !tf.getKernel(tf.UnsortedSegmentSum, 'wasm')) {
    tf.registerKernel({ kernelName: tf.UnsortedSegmentSum, backendName: 'wasm', kernelFunc: unsortedSegmentSum as unknown as tf.KernelFunc });
    status.segmentSum = true;
  }
  if (!status.input && (opts.backpropInput ?? true)) {
    const original = tf.getKernel(tf.Conv2DBackpropInput, 'wasm');
    const fallback = original?.kernelFunc as unknown as ((args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: unknown; attrs: InputGradAttrs }) => TensorInfo) | undefined;
    const replaced = (args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: unknown; attrs: InputGradAttrs }): TensorInfo => {
      const fast = conv2dBackpropInputViaConv(args.inputs.dy, args.inputs.filter, args.attrs, args.backend as WasmBackendLike);
      if (fast) return fast;
      if (!fallback) throw new Error('Conv2DBackpropInput: no wasm kernel for this case');
      return fallback(args);
    };
    if (original) tf.unregisterKernel(tf.Conv2DBackpropInput, 'wasm');
    tf.registerKernel({ kernelName: tf.Conv2DBackpropInput, backendName: 'wasm', kernelFunc: replaced as unknown as tf.KernelFunc });
    status.input = true;
  }
  return { ...status };
}

const pair = (v: number | [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : v);

// Ops called inside a kernel are not taped (the engine's kernel depth is > 0), and a returned
// Tensor is used as the kernel's output as is, so composing the kernel from tf ops is safe.
// Window copies are done on the wasm heap directly: wasm's Slice kernel first copies its whole
// input out of the heap, which made k×k slices cost more than the matmuls.
function conv2dBackpropFilter(args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: WasmBackendLike; attrs: FilterGradAttrs }): tf.Tensor {
  const { inputs, backend, attrs } = args;
  if (attrs.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter (wasm): only NHWC is supported');
  const x = inputs.x as tf.Tensor4D;
  const dy = inputs.dy as tf.Tensor4D;
  const [kh, kw, ci, co] = attrs.filterShape;
  const info = tf.backend_util.computeConv2DInfo(x.shape, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  const [n, h, w] = x.shape;
  const [sh, sw] = pair(attrs.strides);
  const [ho, wo] = [info.outHeight, info.outWidth];
  const { top, left } = info.padInfo;
  return tf.tidy(() => {
    // 1x1, stride 1, no padding: one product over all positions.
    if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && ho === h && wo === w && top === 0 && left === 0) {
      return tf.reshape(tf.matMul(tf.reshape(x, [n * h * w, ci]), tf.reshape(dy, [n * h * w, co]), true, false), [1, 1, ci, co]);
    }
    // Phase grid: Hq rows per phase, enough for every output row plus the largest shift.
    const hq = Math.max(Math.ceil((h + top + info.padInfo.bottom) / sh), ho + Math.floor((kh - 1) / sh));
    const wq = Math.max(Math.ceil((w + left + info.padInfo.right) / sw), wo + Math.floor((kw - 1) / sw));
    // One extra zero image at the end: a shifted window may run past the last image by less
    // than one image's worth of positions.
    const lAll = (n + 1) * hq * wq;
    const l = n * hq * wq;
    const xt = phaseMatrix(x, backend, sh, sw, hq, wq, top, left); // [sh·sw·Ci, L_all], phase-major rows
    const dyq = tf.reshape(tf.pad(dy, [[0, 0], [0, hq - ho], [0, wq - wo], [0, 0]]), [l, co]); // [L, Co]
    const rows: tf.Tensor2D[] = [];
    for (let i = 0; i < kh; i++) {
      // The kw windows of kernel row i stacked: [kw·Ci, L], so one matmul gives dW[i] as [kw·Ci, Co].
      const g = tf.engine().makeTensorFromTensorInfo(backend.makeOutput([kw * ci, l], 'float32')) as tf.Tensor2D;
      const src = backend.typedArrayFromHeap(xt); // views taken after the allocation above
      const dst = backend.typedArrayFromHeap(g);
      for (let j = 0; j < kw; j++) {
        const phase = (i % sh) * sw + (j % sw);
        const off = Math.floor(i / sh) * wq + Math.floor(j / sw);
        for (let c = 0; c < ci; c++) {
          const from = (phase * ci + c) * lAll + off;
          dst.set(src.subarray(from, from + l), (j * ci + c) * l);
        }
      }
      rows.push(tf.matMul(g, dyq));
      g.dispose();
    }
    return tf.reshape(rows.length === 1 ? rows[0]! : tf.concat(rows, 0), [kh, kw, ci, co]);
  });
}

// Xᵀ of the zero-padded input on the phase grid: row (a·sw + b)·Ci + c, column (n, q, r) holds
// x_pad[n, sh·q + a, sw·r + b, c]; image n = N is all zeros. Stride 1 uses wasm's fast pad and
// 2-D transpose; other strides are one JS pass (wasm's rank-6 transpose is very slow).
function phaseMatrix(x: tf.Tensor4D, backend: WasmBackendLike, sh: number, sw: number, hq: number, wq: number, top: number, left: number): tf.Tensor2D {
  const [n, h, w, ci] = x.shape;
  const lAll = (n + 1) * hq * wq;
  if (sh === 1 && sw === 1) {
    const xp = tf.pad(x, [[0, 1], [top, hq - h - top], [left, wq - w - left], [0, 0]]); // [N+1, Hq, Wq, Ci]
    return tf.transpose(tf.reshape(xp, [lAll, ci]));
  }
  const out = tf.engine().makeTensorFromTensorInfo(backend.makeOutput([sh * sw * ci, lAll], 'float32')) as tf.Tensor2D;
  const dst = backend.typedArrayFromHeap(out);
  const src = backend.typedArrayFromHeap(x);
  dst.fill(0);
  for (let b0 = 0; b0 < n; b0++) {
    for (let y = 0; y < h; y++) {
      const py = y + top;
      const a = py % sh;
      const q = (py - a) / sh;
      if (q >= hq) continue;
      for (let xx = 0; xx < w; xx++) {
        const px = xx + left;
        const b = px % sw;
        const r = (px - b) / sw;
        if (r >= wq) continue;
        const col = (b0 * hq + q) * wq + r;
        const rowBase = (a * sw + b) * ci;
        const s0 = ((b0 * h + y) * w + xx) * ci;
        for (let c = 0; c < ci; c++) dst[(rowBase + c) * lAll + col] = src[s0 + c]!;
      }
    }
  }
  return out;
}

// dx = full correlation of dy with the filter flipped in space and with its channel axes swapped.
// Stride s > 1: dy is first spread onto the input grid (s-1 zeros between entries), then the
// same stride-1 conv runs; 3/4 of that work multiplies zeros, and it is still several times faster
// than the stock kernel. Returns null for cases it does not cover (NCHW, padding beyond the kernel).
function conv2dBackpropInputViaConv(dyInfo: TensorInfo, filterInfo: TensorInfo, attrs: InputGradAttrs, backend: WasmBackendLike): tf.Tensor | null {
  if (attrs.dataFormat === 'NCHW') return null;
  const dy = dyInfo as tf.Tensor4D;
  const filter = filterInfo as tf.Tensor4D;
  const [kh, kw] = filter.shape;
  const [n, h, w, ci] = attrs.inputShape;
  const [sh, sw] = pair(attrs.strides);
  const info = tf.backend_util.computeConv2DInfo(attrs.inputShape, filter.shape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  const { top, left } = info.padInfo;
  const [ho, wo, co] = [dy.shape[1], dy.shape[2], dy.shape[3]];
  // On the spread grid (dy row q at row s·q, zeros between and s-1 zero rows after the last),
  // input row r receives spread rows r + top - i, i.e. a stride-1 correlation with the flipped
  // filter and top padding kh-1-top; the bottom padding makes the output exactly H rows.
  const [hs, ws] = [ho * sh, wo * sw];
  const pt = kh - 1 - top;
  const pl = kw - 1 - left;
  const pb = h - hs + kh - 1 - pt;
  const pr = w - ws + kw - 1 - pl;
  if (pt < 0 || pl < 0) return null;
  return tf.tidy(() => {
    let d: tf.Tensor4D = dy;
    if (sh > 1 || sw > 1) {
      const d6 = tf.pad(tf.reshape(dy, [n, ho, 1, wo, 1, co]), [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
      d = tf.reshape(d6, [n, hs, ws, co]) as tf.Tensor4D;
    }
    // Negative bottom/right padding (rows of dy that reach no input row) becomes a crop.
    if (pb < 0 || pr < 0) d = tf.slice(d, [0, 0, 0, 0], [n, hs + Math.min(pb, 0), ws + Math.min(pr, 0), co]);
    const flipped = flipFilter(filter, backend); // [kh, kw, Co, Ci]
    const out = tf.conv2d(d, flipped, 1, [[0, 0], [pt, Math.max(pb, 0)], [pl, Math.max(pr, 0)], [0, 0]]);
    if (out.shape[1] !== h || out.shape[2] !== w || out.shape[3] !== ci) throw new Error(`Conv2DBackpropInput: shape ${out.shape} != ${attrs.inputShape}`);
    return out;
  });
}

// W'[i, j, o, c] = W[kh-1-i, kw-1-j, c, o]: one JS pass (wasm's Reverse took ~7 ms per 3x3x256x128
// filter, more than this whole copy).
function flipFilter(filter: tf.Tensor4D, backend: WasmBackendLike): tf.Tensor4D {
  const [kh, kw, ci, co] = filter.shape;
  const out = tf.engine().makeTensorFromTensorInfo(backend.makeOutput([kh, kw, co, ci], 'float32')) as tf.Tensor4D;
  const dst = backend.typedArrayFromHeap(out);
  const src = backend.typedArrayFromHeap(filter);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const s0 = ((kh - 1 - i) * kw + (kw - 1 - j)) * ci * co;
      const d0 = (i * kw + j) * co * ci;
      for (let c = 0; c < ci; c++) for (let o = 0; o < co; o++) dst[d0 + o * ci + c] = src[s0 + c * co + o]!;
    }
  }
  return out;
}

// out[s, ...] = Σ x[i, ...] over i with segmentIds[i] = s; ids outside [0, numSegments) are
// dropped (TensorFlow's rule). A plain loop over the rows: O(size of x), exact.
function unsortedSegmentSum(args: { inputs: { x: TensorInfo; segmentIds: TensorInfo }; backend: WasmBackendLike; attrs: { numSegments: number } }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, segmentIds } = inputs;
  if (segmentIds.shape.length !== 1 || segmentIds.shape[0] !== x.shape[0]) {
    throw new Error(`UnsortedSegmentSum (wasm): segmentIds must be 1-D with x.shape[0] entries, got ${segmentIds.shape} for x ${x.shape}`);
  }
  if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new Error(`UnsortedSegmentSum (wasm): dtype ${x.dtype} not supported`);
  const rows = x.shape[0] ?? 0;
  const rowSize = x.shape.slice(1).reduce((a, b) => a * b, 1);
  const xVals = backend.readSync(x.dataId); // copies, so growing the heap below is safe
  const ids = backend.readSync(segmentIds.dataId);
  const out = backend.makeOutput([attrs.numSegments, ...x.shape.slice(1)], x.dtype);
  const o = backend.typedArrayFromHeap(out);
  o.fill(0);
  for (let r = 0; r < rows; r++) {
    const s = ids[r]!;
    if (s < 0 || s >= attrs.numSegments) continue;
    const src = r * rowSize;
    const dst = s * rowSize;
    for (let k = 0; k < rowSize; k++) o[dst + k] = o[dst + k]! + xVals[src + k]!;
  }
  return out;
}
