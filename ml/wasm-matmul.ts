// The wasm backend multiplies 10-40x slower when `transposeA`/`transposeB` is set (measured on
// this 2-core machine: 0.9 and 3.4 GFLOP/s against about 20-39 for the plain product). Every
// backward pass of a dense layer asks for a transposed product, so training crawls. This
// replaces the wasm BatchMatMul kernel with one that transposes the operand explicitly (a
// cheap copy) and then calls the original kernel on the fast, untransposed path.
import * as tf from '@tensorflow/tfjs-core';

type TensorInfo = tf.TensorInfo;
interface KernelArgs {
  inputs: { a: TensorInfo; b: TensorInfo };
  backend: { disposeData(dataId: object): void };
  attrs: { transposeA: boolean; transposeB: boolean };
}

let installed = false;

export function installWasmMatMulPatch(): void {
  if (installed) return;
  const original = tf.getKernel(tf.BatchMatMul, 'wasm');
  const transpose = tf.getKernel(tf.Transpose, 'wasm');
  if (!original || !transpose) throw new Error('wasm BatchMatMul/Transpose kernels not registered');
  const plainMatMul = original.kernelFunc as unknown as (args: KernelArgs) => TensorInfo;
  const transposeKernel = transpose.kernelFunc as unknown as (args: {
    inputs: { x: TensorInfo };
    backend: KernelArgs['backend'];
    attrs: { perm: number[] };
  }) => TensorInfo;

  // Swap the last two axes of x into a fresh buffer owned by this kernel call.
  const swapLast2 = (x: TensorInfo, backend: KernelArgs['backend']): TensorInfo => {
    const r = x.shape.length;
    const perm = [...Array(r).keys()];
    [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
    return transposeKernel({ inputs: { x }, backend, attrs: { perm } });
  };

  const patched = (args: KernelArgs): TensorInfo => {
    const { inputs, backend, attrs } = args;
    if (!attrs.transposeA && !attrs.transposeB) return plainMatMul(args);
    const a = attrs.transposeA ? swapLast2(inputs.a, backend) : inputs.a;
    const b = attrs.transposeB ? swapLast2(inputs.b, backend) : inputs.b;
    try {
      return plainMatMul({ inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false } });
    } finally {
      if (a !== inputs.a) backend.disposeData(a.dataId);
      if (b !== inputs.b) backend.disposeData(b.dataId);
    }
  };

  tf.unregisterKernel(tf.BatchMatMul, 'wasm');
  tf.registerKernel({ ...original, kernelFunc: patched as unknown as tf.KernelFunc });
  installed = true;
}

export function wasmMatMulPatchInstalled(): boolean {
  return installed;
}
