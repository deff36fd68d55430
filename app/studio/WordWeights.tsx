'use client';
// Which words matter: a prompt with each word shaded by its weight in the embedding (the CLIP
// text encode node's leave-one-out cosine drops), or by how much it drives one heatmap cell.
// Intensity is the word's |drop| over the prompt's largest, so the word that matters most is
// fully shaded; a word whose removal raises the cell's cosine is shaded in the other hue. Unknown
// and cut words weigh 0 and are marked; every word's tooltip gives its number.
import type { CSSProperties } from 'react';
import type { PromptPiece } from '../../protocol';

export function ShadedPrompt({ pieces, drops, explain }: { pieces: PromptPiece[]; drops: number[]; explain: (drop: number) => string }) {
  const top = Math.max(1e-9, ...drops.map(Math.abs));
  let k = 0;
  return (
    <p className="shaded-prompt" data-testid="word-weights">
      {pieces.map((p, i) => {
        if (!p.word) return <span key={i}>{p.text}</span>;
        const d = drops[k++] ?? 0;
        if (p.unknown || p.cut) {
          const why = p.unknown ? 'CLIP does not know this word: weight 0' : 'past the context length, not encoded: weight 0';
          return <span key={i} className={`ww-word ${p.unknown ? 'unknown-word' : 'cut-word'}`} title={why} data-weight={0}>{p.text}</span>;
        }
        const share = Math.abs(d) / top;
        const style = { '--w': share.toFixed(3) } as CSSProperties;
        return (
          <span key={i} className={`ww-word${d < 0 ? ' neg' : ''}`} style={style} title={`${explain(d)} (${Math.round(share * 100)}% of the top word)`} data-weight={d}>
            {p.text}
          </span>
        );
      })}
    </p>
  );
}

export const weightText = (d: number) => `weight ${d.toFixed(4)}: 1 − cosine to the prompt without this word`;
export const cellText = (d: number) => (d >= 0 ? `the cell's cosine falls by ${d.toFixed(4)} without this word` : `the cell's cosine rises by ${(-d).toFixed(4)} without this word`);
