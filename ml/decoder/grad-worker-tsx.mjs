// Starts ml/decoder/grad-worker.ts in a worker thread when the project runs under tsx: Node 20
// gives each thread its own module loader, so tsx's TypeScript hooks must be registered here,
// in the worker, before its entry is imported. Compiled (.js) runs start grad-worker.js directly.
import { register } from 'tsx/esm/api';

register();
await import('./grad-worker.ts');
