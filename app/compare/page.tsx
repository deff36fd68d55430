// /compare?a=<ref>&b=<ref>: two runs side by side (Compare.tsx). A ref is a run id, a share link
// (…/g/<id>: that graph's latest run) or an editor link (…/?g=<id>).
import { Compare } from './Compare';

export const dynamic = 'force-dynamic';

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? '';

export default async function ComparePage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const q = await searchParams;
  const a = first(q.a);
  const b = first(q.b);
  // keyed by the refs: a new pair is a fresh page state
  return <Compare key={`${a}\n${b}`} a={a} b={b} />;
}
