'use client';
// A prompt on its text node, with the words CLIP's tokenizer did not know underlined (learned
// from the tokens output of the CLIP text encoders the prompt feeds).
export function PromptPreview({ text, unknown }: { text: string; unknown: string[] }) {
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
    </p>
  );
}
