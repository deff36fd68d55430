// `npm run bench [-- --json] [-- --only matmul,...] [-- --load-seconds 120 --load-clients 16]`:
// measures and prints figures. The last stdout line is always one JSON object; with --json
// nothing else goes to stdout. A failing section is reported inside the object
// (`"<name>": {"error": ...}`) and never fails the build.
import { initBackend } from '../ml/backend.js';
import { benchMatMul } from './matmul.js';
import { benchConvGrad } from './conv-grad.js';
import { benchServer } from './server.js';
import { benchClipPath } from './clip-path.js';
import { benchGeneration } from './generation.js';
import { benchLoad } from './load.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const onlyArg = args.find((a) => a.startsWith('--only='))?.slice(7) ?? (args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined);
const only = onlyArg?.split(',');
/** `--name=N` or `--name N` as a number (the load section's duration and clients). */
const num = (name: string): number | undefined => {
  const raw = args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : undefined);
  return raw === undefined ? undefined : Number(raw);
};

const log = (line: string) => (json ? process.stderr.write(line + '\n') : console.log(line));

const backend = await initBackend({ log });
const result: Record<string, unknown> = { backend: backend.name };

// Each section adds one field to the same object; later issues append sections here.
const sections: Array<[string, () => Promise<unknown>]> = [
  ['matmul', () => benchMatMul()],
  ['conv_grad', () => benchConvGrad()],
  ['generation', () => benchGeneration()],
  ['server', () => benchServer()],
  ['clip_path', () => benchClipPath()],
  ['load', () => benchLoad({ seconds: num('load-seconds'), clients: num('load-clients'), log })],
];

for (const [name, run] of sections) {
  if (only && !only.includes(name)) continue;
  log(`[bench] ${name}…`);
  try {
    result[name] = await run();
  } catch (e) {
    result[name] = { error: (e as Error).message };
  }
}

if (!json) log(JSON.stringify(result, null, 2));
console.log(JSON.stringify(result));
