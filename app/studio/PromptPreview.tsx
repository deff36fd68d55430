'use client';
// A prompt on its text node, with the words CLIP's tokenizer did not know underlined (learned
// from the tokens output of the CLIP text encoders the prompt feeds). A prompt with emoji also
// says the words CLIP read (the tokenizer reads emoji as their names, ml/clip/emoji.ts), so the
// mapping lives in one place, on the server, and the studio shows its result.
const PICTOGRAPH = /\p{Extended_Pictographic}/u;

export function PromptPreview({ text, unknown, read = [] }: { text: string; unknown: string[]; read?: string[] }) {
  const bad = new Set(unknown.map((w) => w.toLowerCase()));
  const parts = text.split(/([\p{L}\p{N}'’-]+)/u);
  return (
    <p className="prompt" data-testid="prompt-preview">
      {parts.map((p, i) =>
        bad.has(p.toLowerCase()) ? (
          <u key={i} className="unknown-word" title="CLIP does not know this word">
            {p}
          </u>
        ) : (
          p
        ),
      )}
      {unknown.length ? <span className="muted small"> · {unknown.length} unknown word{unknown.length === 1 ? '' : 's'}</span> : null}
      {read.length && PICTOGRAPH.test(text) ? (
        <span className="prompt-reads muted small" data-testid="prompt-reads">
          read as “{read.join(' · ')}”
        </span>
      ) : null}
    </p>
  );
}
