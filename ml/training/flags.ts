// Command-line flags of every trainer, read once from a zod schema: the schema's keys are the flags
// (camelCase key → --kebab-case flag), its types say how a value is read (a boolean is a switch,
// a number must be a finite number, an array (of numbers or strings) is comma-separated, an object is JSON,
// anything else a string), and its checks and defaults are the flags' rules. A value that breaks
// a rule is refused with a message naming the flag and the value given, never turned into NaN.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** A bad command line: the CLI prints its message alone (no stack), since the user, not the code, must change. */
export class FlagError extends Error {
  override name = 'FlagError';
}

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const flagOf = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

type Kind = 'switch' | 'number' | 'numbers' | 'strings' | 'json' | 'string';

/** How a flag's value is read: from the schema's type under its optional/default/transform wrappers. */
function kindOf(t: z.ZodTypeAny): Kind {
  for (;;) {
    if (t instanceof z.ZodOptional || t instanceof z.ZodNullable) t = t.unwrap();
    else if (t instanceof z.ZodDefault) t = t.removeDefault();
    else if (t instanceof z.ZodEffects) t = t.innerType();
    else break;
  }
  if (t instanceof z.ZodBoolean) return 'switch';
  if (t instanceof z.ZodNumber) return 'number';
  if (t instanceof z.ZodArray) return t.element instanceof z.ZodNumber ? 'numbers' : 'strings';
  if (t instanceof z.ZodObject || t instanceof z.ZodRecord || t instanceof z.ZodAny || t instanceof z.ZodUnknown) return 'json';
  return 'string';
}

const PLACEHOLDER: Record<Kind, string> = { switch: '', number: ' N', numbers: ' N,N', strings: ' S,S', json: ' JSON', string: ' S' };

/** One line listing every flag of a schema, for the unknown-flag message. */
export function usage(schema: FlagSchema): string {
  return Object.entries(objectOf(schema).shape as Record<string, z.ZodTypeAny>).map(([k, t]) => flagOf(k) + PLACEHOLDER[kindOf(t)]).join(' ');
}

function number(flag: string, raw: string): number {
  const x = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(x)) throw new FlagError(`${flag} needs a number, got ${raw}`);
  return x;
}

/** A schema of flags: an object, or an object with checks across its flags (superRefine). */
export type FlagSchema = z.AnyZodObject | z.ZodEffects<z.AnyZodObject>;

const objectOf = (s: FlagSchema): z.AnyZodObject => (s instanceof z.ZodEffects ? s.innerType() : s);

/** `argv` read against `schema`: the flags' values with the schema's defaults, or an error naming the flag. */
export function parseFlags<S extends FlagSchema>(schema: S, argv: readonly string[], name = 'train'): z.output<S> {
  const shape = objectOf(schema).shape as Record<string, z.ZodTypeAny>;
  const byFlag = new Map(Object.keys(shape).map((k) => [flagOf(k), k]));
  const values: Record<string, unknown> = {};
  const given: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const key = byFlag.get(flag);
    if (key === undefined) throw new FlagError(`unknown option ${flag} (${name}: ${usage(schema)})`);
    const kind = kindOf(shape[key]!);
    if (kind === 'switch') {
      values[key] = true;
      continue;
    }
    const raw = argv[++i];
    if (raw === undefined) throw new FlagError(`${flag} needs a value`);
    given[key] = raw;
    if (kind === 'number') values[key] = number(flag, raw);
    else if (kind === 'numbers') values[key] = raw.split(',').map((s) => number(flag, s));
    else if (kind === 'strings') values[key] = raw.split(',').map((s) => s.trim()).filter(Boolean);
    else if (kind === 'json') {
      try {
        values[key] = JSON.parse(raw) as unknown;
      } catch {
        throw new FlagError(`${flag} needs JSON, got ${raw}`);
      }
    } else values[key] = raw;
  }
  const r = schema.safeParse(values);
  if (r.success) return r.data as z.output<S>;
  const issue = r.error.issues[0]!;
  const key = String(issue.path[0] ?? '');
  const flag = byFlag.has(flagOf(key)) ? flagOf(key) : name;
  throw new FlagError(`${flag} ${issue.message}${key in given ? `, got ${given[key]}` : ''}`);
}

// ---- the rules trainers' flags share ----------------------------------------------------------

export const wholeNumber = (what = 'a whole number') => z.number().int(`must be ${what}`).min(0, `must be ${what}`);
export const positiveWhole = (what = 'a positive whole number') => z.number().int(`must be ${what}`).min(1, `must be ${what}`);
export const positive = () => z.number().positive('must be positive');
export const fraction = () => z.number().min(0, 'must be a fraction in [0, 1]').max(1, 'must be a fraction in [0, 1]');
/** A folder, resolved against the working directory. */
export const folder = () => z.string().min(1, 'needs a folder').transform((p) => resolve(p));

/** Defaults that differ between models. */
export interface CommonDefaults {
  steps: number;
  batch: number;
  lr: number;
  warmup: number;
  ema: number;
}

/**
 * The flags every trainer takes: the run (steps to train to, batch, learning rate and warm-up,
 * EMA decay, seed), where it lives (--run-dir, --weights-dir), how it starts (--resume,
 * --init-from) and ends (--no-export, --export-only), and how often it saves.
 */
export function commonFlags(model: string, d: CommonDefaults) {
  return z.object({
    steps: positiveWhole('a positive whole number of steps').default(d.steps),
    batch: positiveWhole('a positive whole number').default(d.batch),
    lr: positive().default(d.lr),
    warmup: wholeNumber('a whole number of steps').default(d.warmup),
    ema: z.number().min(0, 'must be in [0, 1)').lt(1, 'must be in [0, 1)').default(d.ema),
    seed: z.number().int('must be a whole number').default(1),
    resume: z.boolean().default(false),
    initFrom: folder().optional(),
    runDir: folder().default(join(REPO_ROOT, 'runs', model)),
    weightsDir: folder().default(join(REPO_ROOT, 'weights', model)),
    saveEveryMin: positive().default(5),
    noExport: z.boolean().default(false),
    exportOnly: z.boolean().default(false),
  });
}

export type CommonFlags = z.output<ReturnType<typeof commonFlags>>;
