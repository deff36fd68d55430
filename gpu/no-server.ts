// Replaces bench/server.ts, bench/load.ts and bench/clip-path.ts inside the GPU bundle (gpu/build.ts): the server and
// load benches (and the decoder's CLIP-path bench, timed through the server) start the studio, which needs Next.js, socket.io and SQLite, none of which the
// bundle carries.
export async function benchServer(): Promise<never> {
  throw new Error('the server bench is not in the GPU bundle (it needs Next.js, socket.io and SQLite)');
}

export async function benchLoad(): Promise<never> {
  throw new Error('the load bench is not in the GPU bundle (it needs Next.js, socket.io and SQLite)');
}

export async function benchClipPath(): Promise<never> {
  throw new Error('the CLIP-path bench is not in the GPU bundle (it times runs through the server, which needs Next.js, socket.io and SQLite)');
}
