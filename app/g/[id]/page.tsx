// The read-only share page: the saved graph and its latest run's outputs and filmstrips, replayed
// from the store without rerunning. Fork makes an editable copy.
import { Studio } from '../../studio/Studio';

export default async function SharedGraph({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <Studio viewId={id} />;
}
