// Fréchet distance between two Gaussians fitted to embedding sets (the FID formula, here on CLIP
// image embeddings): |μ1 − μ2|² + tr(Σ1 + Σ2 − 2 (Σ1 Σ2)^½).
// tr((Σ1 Σ2)^½) is computed as Σ √λ of the symmetric PSD matrix Σ1^½ Σ2 Σ1^½, which has the
// same eigenvalues as Σ1 Σ2; symmetric eigen-decompositions by cyclic Jacobi (exact enough for
// 128×128 in well under a second, and no library needed).

/** Eigenvalues and eigenvectors (columns of `vectors`, row-major n×n) of a symmetric matrix. */
export function symmetricEigen(a: Float64Array, n: number, opts: { sweeps?: number; tol?: number } = {}): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const maxSweeps = opts.sweeps ?? 50;
  const tol = opts.tol ?? 1e-22;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q]! ** 2;
    if (off < tol) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const app = m[p * n + p]!;
        const aqq = m[q * n + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          // rows/cols p and q of m (symmetric update)
          const mkp = m[k * n + p]!;
          const mkq = m[k * n + q]!;
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k]!;
          const mqk = m[q * n + k]!;
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = m[i * n + i]!;
  return { values, vectors: v };
}

/** Mean [d] and covariance [d×d] (unbiased) of rows x [n, d]. */
export function meanCov(x: Float32Array, n: number, d: number): { mean: Float64Array; cov: Float64Array } {
  if (n < 2) throw new RangeError('meanCov needs at least two rows');
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += x[i * d + j]! / n;
  const cov = new Float64Array(d * d);
  const r = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) r[j] = x[i * d + j]! - mean[j]!;
    for (let a = 0; a < d; a++) {
      const ra = r[a]!;
      for (let b = a; b < d; b++) cov[a * d + b]! += ra * r[b]!;
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      cov[a * d + b]! /= n - 1;
      cov[b * d + a] = cov[a * d + b]!;
    }
  }
  return { mean, cov };
}

function matMul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j]! += aik * b[k * n + j]!;
    }
  }
  return out;
}

/** Fréchet distance between the Gaussians of two row sets x [nx, d] and y [ny, d]. */
export function frechetDistance(x: Float32Array, nx: number, y: Float32Array, ny: number, d: number): number {
  const X = meanCov(x, nx, d);
  const Y = meanCov(y, ny, d);
  let dm = 0;
  let tr = 0;
  for (let j = 0; j < d; j++) {
    dm += (X.mean[j]! - Y.mean[j]!) ** 2;
    tr += X.cov[j * d + j]! + Y.cov[j * d + j]!;
  }
  // Σx^½ = V diag(√λ) Vᵀ
  const ex = symmetricEigen(X.cov, d);
  const sqrtX = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += ex.vectors[i * d + k]! * Math.sqrt(Math.max(0, ex.values[k]!)) * ex.vectors[j * d + k]!;
      sqrtX[i * d + j] = s;
    }
  }
  const m = matMul(matMul(sqrtX, Y.cov, d), sqrtX, d);
  for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) m[i * d + j] = m[j * d + i] = (m[i * d + j]! + m[j * d + i]!) / 2;
  const em = symmetricEigen(m, d);
  let trSqrt = 0;
  for (const l of em.values) trSqrt += Math.sqrt(Math.max(0, l));
  return dm + tr - 2 * trSqrt;
}

/**
 * How much `frechetDistance(x, …, y, …)` moves with the sample x: the standard deviation of the
 * distance over `resamples` bootstrap resamples of x's rows (drawn with replacement, seeded), y held
 * fixed as the reference set. Generation evals use a few hundred images, so two checkpoints'
 * distances only differ when they differ by more than this.
 */
export function frechetBootstrapSd(x: Float32Array, nx: number, y: Float32Array, ny: number, d: number, opts: { resamples?: number; rand: () => number }): number {
  const k = opts.resamples ?? 30;
  if (k < 2) throw new RangeError(`a bootstrap needs at least 2 resamples, got ${k}`);
  const fds: number[] = [];
  const r = new Float32Array(nx * d);
  for (let b = 0; b < k; b++) {
    for (let i = 0; i < nx; i++) {
      const j = Math.min(nx - 1, Math.floor(opts.rand() * nx));
      r.set(x.subarray(j * d, (j + 1) * d), i * d);
    }
    fds.push(frechetDistance(r, nx, y, ny, d));
  }
  const m = fds.reduce((s, v) => s + v, 0) / k;
  return Math.sqrt(fds.reduce((s, v) => s + (v - m) ** 2, 0) / (k - 1));
}
