// Model cards (weights/<model>/README.md) are regenerated on every export from the run's figures;
// a `## Notes` section already in the file (findings written by hand) is carried over.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export function writeCard(path: string, lines: string[]): void {
  let notes = '';
  if (existsSync(path)) {
    const old = readFileSync(path, 'utf8');
    const i = old.indexOf('\n## Notes');
    if (i >= 0) notes = old.slice(i + 1).trimEnd() + '\n';
  }
  writeFileSync(path, lines.join('\n') + (notes ? '\n' + notes : ''));
}
