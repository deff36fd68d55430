// A test hook that costs one property read: an end-to-end test sets `window.__cardRenders = {}`
// before the page loads, then reads how many times each node card rendered (the proof that a
// run's step re-renders only the card it concerns; test/e2e-renders.test.ts).
type Counting = { __cardRenders?: Record<string, number> };

export function countRender(nodeId: string): void {
  const counts = typeof window === 'undefined' ? undefined : (window as unknown as Counting).__cardRenders;
  if (counts) counts[nodeId] = (counts[nodeId] ?? 0) + 1;
}
