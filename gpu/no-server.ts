// Replaces bench/server.ts and bench/load.ts inside the GPU bundle (gpu/build.ts): the server and
// load benches start the studio, which needs Next.js, socket.io and SQLite, none of which the
// bundle carries.
export async function benchServer(): Promise<never> {
  throw new Error('the server bench is not in the GPU bundle (it needs Next.js, socket.io and SQLite)');
}

export async function benchLoad(): Promise<never> {
  throw new Error('the load bench is not in the GPU bundle (it needs Next.js, socket.io and SQLite)');
}
