// The shipped models a test runs, and its skip reason when one is missing. Tests read
// UNCLIP_WEIGHTS_DIR like the servers they start, so a candidate checkpoint can be tested
// before it ships; a checkout without weights skips these tests, saying which model it lacks.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT } from './server.js';

export const WEIGHTS = resolve(process.env.UNCLIP_WEIGHTS_DIR || join(ROOT, 'weights'));

/** `false` when every model has weights under WEIGHTS, else the reason to skip. */
export function missingWeights(...models: string[]): string | false {
  const missing = models.filter((m) => !existsSync(join(WEIGHTS, m, 'model.safetensors')));
  return missing.length ? `no ${missing.join(', ')} weights under ${WEIGHTS}` : false;
}
