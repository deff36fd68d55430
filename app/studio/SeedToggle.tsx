'use client';
// "New seed every run" beside a seed field: the studio gives the param a fresh random value
// before each run (nodeEdits.ts `reseed`), and the value that ran is what the graph saves, so a
// run stays reproducible from the saved graph. The choice is saved with the node (`reseed`).
import { useStudio } from './store';

export function SeedToggle({ nodeId, param, disabled }: { nodeId: string; param: string; disabled: boolean }) {
  const on = useStudio((s) => !!s.nodes.find((n) => n.id === nodeId)?.data.reseed?.includes(param));
  const setReseed = useStudio((s) => s.setReseed);
  return (
    <label className="reseed" title="Before each run, set a fresh random seed (the seed that ran is kept in the graph)">
      <input type="checkbox" checked={on} disabled={disabled} data-testid={`reseed-${param}`} onChange={(e) => setReseed(nodeId, param, e.target.checked)} />
      new seed every run
    </label>
  );
}
