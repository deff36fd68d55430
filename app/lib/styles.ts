// A prompt with a style's words: the corpus captions end in ", <style words> style" (the models
// learned styles from that), so a style is added to every prompt line the same way, replacing a
// style one already ends in (from the same list), so picking another style swaps it.

/** `text` with `style` (e.g. "openmoji style") at the end of every non-empty line. */
export function withStyle(text: string, style: string, known: readonly string[]): string {
  const lines = text.split('\n');
  return lines
    .map((line) => {
      if (!line.trim()) return line;
      let base = line.trimEnd();
      for (const k of known) {
        const m = new RegExp(`,?\\s*${k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`).exec(base);
        if (m) {
          base = base.slice(0, m.index);
          break;
        }
      }
      return base.trim() ? `${base}, ${style}` : style;
    })
    .join('\n');
}

/** The style of a prompt's first line, if it ends in one of `known`. */
export function styleOf(text: string, known: readonly string[]): string | undefined {
  const first = text.split('\n').find((l) => l.trim())?.trimEnd() ?? '';
  return known.find((k) => first.endsWith(k));
}
