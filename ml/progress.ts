// Progress reporting for long work (corpus builds, training, evaluation). Code that works reports
// through a callback; only the CLI edge turns that into a terminal bar, so library code never
// prints in a loop.

export type ProgressInfo = Record<string, number | string>;
export type ProgressFn = (done: number, total: number, info?: ProgressInfo) => void;

/**
 * A one-line terminal bar on stderr, redrawn at most every `minIntervalMs`. On a non-TTY
 * (CI logs, background training) it prints a plain line every `logEveryMs` instead.
 */
export function terminalBar(label: string, opts: { minIntervalMs?: number; logEveryMs?: number } = {}): ProgressFn {
  const tty = process.stderr.isTTY === true;
  const minInterval = tty ? (opts.minIntervalMs ?? 100) : (opts.logEveryMs ?? 10_000);
  const start = Date.now();
  let first: { done: number; at: number } | undefined;
  let last = 0;
  return (done, total, info) => {
    const now = Date.now();
    first ??= { done, at: now };
    const finished = done >= total;
    if (!finished && now - last < minInterval) return;
    last = now;
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const elapsed = (now - start) / 1000;
    const eta = remainingSeconds(done, total, first.done, (now - first.at) / 1000);
    const extras = info ? Object.entries(info).map(([k, v]) => `${k} ${formatValue(v)}`).join('  ') : '';
    const width = 24;
    const filled = Math.round(frac * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const line = `${label} ${bar} ${done}/${total} ${(frac * 100).toFixed(0)}%  ${fmtTime(elapsed)} elapsed, ${fmtTime(eta)} left  ${extras}`;
    if (tty) process.stderr.write(`\r\x1b[2K${line}${finished ? '\n' : ''}`);
    else process.stderr.write(line + '\n');
  };
}

/**
 * Seconds left at the rate seen since the first report (`done0`, `seconds` ago). Measured from
 * there, not from 0, because a resumed run starts part-way: step 4,995 of 8,000 a few seconds
 * after a restart is not 62% of the work done in those seconds. NaN until there is a rate.
 */
export function remainingSeconds(done: number, total: number, done0: number, seconds: number): number {
  if (done >= total) return 0;
  if (done <= done0 || seconds <= 0) return NaN;
  return ((total - done) * seconds) / (done - done0);
}

function formatValue(v: number | string): string {
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(4);
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  const sec = Math.floor(s % 60);
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : `${m}m${String(sec).padStart(2, '0')}s`;
}
