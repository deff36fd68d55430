// Who a client is, for the limits that count per visitor, and those limits: runs queued per
// socket, per address and in all (queueRefusal), and the token bucket that paces REST writes.
// One address may be many sockets and tabs, so limits per socket alone let one visitor hold the
// machine (issue 22, items 3 and 5).
import type { IncomingHttpHeaders } from 'node:http';
import { isActiveRun, type RunStatus } from '../protocol/index.js';
import type { EngineConfig } from './config.js';
import { refuse, type Refusal } from './run-checks.js';

/**
 * The client's address: the connection's peer, or behind a trusted reverse proxy
 * (UNCLIP_TRUST_PROXY=1) the last X-Forwarded-For entry, the one that proxy appended (entries
 * before it are whatever the client wrote). IPv4-mapped IPv6 reads as plain IPv4.
 */
export function clientAddress(headers: IncomingHttpHeaders, peer: string | undefined, trustProxy: boolean): string {
  let addr = peer ?? '';
  if (trustProxy) {
    const fwd = headers['x-forwarded-for'];
    const last = (Array.isArray(fwd) ? fwd.join(',') : (fwd ?? '')).split(',').map((s) => s.trim()).filter(Boolean).at(-1);
    if (last) addr = last;
  }
  return addr.startsWith('::ffff:') ? addr.slice(7) : addr || 'unknown';
}

/**
 * A token bucket per address: `burst` requests at once, refilled at `perMinute`. Buckets that
 * have refilled are forgotten, so the map holds only addresses seen within the last refill time.
 */
export class RateLimiter {
  private buckets = new Map<string, { tokens: number; at: number }>();
  private lastSweep = Date.now();

  constructor(
    private readonly burst: number,
    private readonly perMinute: number,
  ) {}

  /**
   * Takes `n` tokens (at most the burst) for `key`: 0 when allowed, else the seconds until they
   * are there (for Retry-After); a refused take takes nothing.
   */
  take(key: string, n = 1, now = Date.now()): number {
    this.sweep(now);
    const want = Math.min(this.burst, n);
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 60_000) * this.perMinute);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= want) {
      b.tokens -= want;
      return 0;
    }
    return Math.max(1, Math.ceil(((want - b.tokens) * 60) / this.perMinute));
  }

  private sweep(now: number): void {
    const full = (this.burst / this.perMinute) * 60_000;
    if (now - this.lastSweep < Math.min(full, 60_000)) return;
    this.lastSweep = now;
    for (const [k, b] of this.buckets) if (now - b.at >= full) this.buckets.delete(k);
  }
}

/**
 * Whether one more run from this socket and address would pass a queue limit: the socket's
 * (UNCLIP_MAX_QUEUED), its address's over all its sockets, and the server's. Counts the runs
 * queued or running among `runs`.
 */
export function queueRefusal(runs: Iterable<{ ownerId: string; address: string; status: RunStatus }>, socketId: string, address: string, config: EngineConfig): Refusal | null {
  const perClient = config.limits.maxQueuedPerClient;
  const { maxQueuedPerAddress: perAddress, maxQueuedTotal: total } = config.quotas;
  let mine = 0;
  let ours = 0;
  let all = 0;
  for (const r of runs) {
    if (!isActiveRun(r.status)) continue;
    all++;
    if (r.address === address) ours++;
    if (r.ownerId === socketId) mine++;
  }
  if (mine >= perClient) return refuse('TOO_MANY_QUEUED', `this client has ${mine} runs queued or running; at most ${perClient}`);
  if (ours >= perAddress) return refuse('TOO_MANY_QUEUED', `this address has ${ours} runs queued or running from all its connections; at most ${perAddress}`);
  if (all >= total) return refuse('SERVER_BUSY', `the server has ${all} runs queued or running; at most ${total}: try again when some have finished`);
  return null;
}
