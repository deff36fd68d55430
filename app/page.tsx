import { Studio } from './studio/Studio';

export default function Page() {
  return <Studio />;
}
