'use client';
// What a node made in the current run, by output port: texts, tokens (unknown words marked),
// embedding summaries, images (with a PNG download that carries the graph), plots; and for nodes
// that streamed step frames, the live frame and then the filmstrip (x_t | predicted x0 captioned
// for the diffusion nodes); for nodes that streamed map points (the prior), their trajectory; for
// the decoder's CLIP path, the cosine of each step's predicted image to what it was asked to draw.
import { imageList, type WireValue } from '../../protocol';
import { declOf } from '../lib/graphModel';
import type { NodeRun } from '../lib/runState';
import { useStudio } from './store';
import { downloadPng, startDownload } from './download';
import { ClipPathChart } from './ClipPathChart';
import { EmbeddingMap } from './EmbeddingMap';
import { animationLink, Filmstrip } from './Filmstrip';
import { Heatmap } from './Heatmap';
import { Trajectory } from './Trajectory';
import { ShadedPrompt, weightText } from './WordWeights';

function EmbeddingSummary({ v }: { v: Extract<WireValue, { kind: 'embedding' }> }) {
  const first = v.vectors[0] ?? [];
  const norm = Math.sqrt(first.reduce((s, x) => s + x * x, 0));
  return (
    <div className="emb" data-testid="embedding-summary">
      <span>
        {v.vectors.length} × {v.width} <span className="muted">{v.space}</span>
        {first.length ? <span className="muted"> · |v| {norm.toFixed(2)}</span> : null}
      </span>
      {first.length ? (
        // the first vector as a strip of signed bars: enough to see two embeddings differ
        <svg className="emb-bars" viewBox={`0 0 ${Math.min(first.length, 64)} 2`} preserveAspectRatio="none" aria-hidden>
          {first.slice(0, 64).map((x, i) => (
            <rect key={i} x={i} width={0.8} y={x >= 0 ? 1 - Math.min(1, x * 8) : 1} height={Math.min(1, Math.abs(x) * 8)} className={x >= 0 ? 'pos' : 'neg'} />
          ))}
        </svg>
      ) : null}
      <div className="labels" title={v.labels.join('\n')}>
        {v.labels.join(' · ')}
      </div>
    </div>
  );
}

function Value({ nodeId, port, v, wide }: { nodeId: string; port: string; v: WireValue; wide?: boolean }) {
  const currentGraph = useStudio((s) => s.currentGraph);
  const setNotice = useStudio((s) => s.setNotice);
  switch (v.kind) {
    case 'text':
      return <ul className="texts">{v.texts.map((t, i) => <li key={i}>{t}</li>)}</ul>;
    case 'tokens':
      return (
        <>
          {v.words?.length ? (
            <div className="word-weights" data-testid="prompt-word-weights" aria-label="word weights: each word shaded by how much the embedding changes without it">
              {v.words.map((w, i) => <ShadedPrompt key={i} pieces={w.pieces} drops={w.drops} explain={weightText} />)}
            </div>
          ) : null}
          {/* folded: the prompts are on the text node already; what matters at a glance is what CLIP did not know */}
          <details className="tokens" data-testid="tokens">
            <summary>
              tokens
              {v.unknownWords.flat().length ? (
                <span className="unknown">
                  {' '}· unknown: {v.unknownWords.flat().map((w, k) => <u key={k}>{w} </u>)}
                </span>
              ) : (
                <span className="muted"> · all words known</span>
              )}
            </summary>
            {v.tokens.map((row, i) => (
              <div key={i} className="token-row">
                {row.map((t, j) => <span key={j} className="token">{t}</span>)}
              </div>
            ))}
          </details>
        </>
      );
    case 'embedding':
      return <EmbeddingSummary v={v} />;
    case 'image': {
      const images = imageList(v.images);
      return (
        <div className={`images${images.length > 1 ? ' many' : ''}`} data-testid={`images-${nodeId}`}>
          {images.map((src, i) => (
            <figure key={i} title={v.labels[i]}>
              <img src={String(src)} alt={v.labels[i] ?? `${port} ${i + 1}`} width={96} height={96} />
              <figcaption>
                <span>{v.labels[i]}</span>
                <button type="button" className="mini nodrag" aria-label={`download ${v.labels[i] ?? 'image'} as PNG with its graph`} onClick={() => startDownload(v.labels[i] ?? 'the image', () => downloadPng(String(src), currentGraph(), `${nodeId}-${i + 1}.png`), setNotice)}>
                  PNG
                </button>
              </figcaption>
            </figure>
          ))}
        </div>
      );
    }
    case 'plot':
      return v.plot.type === 'heatmap' ? <Heatmap plot={v.plot} /> : <EmbeddingMap nodeId={nodeId} plot={v.plot} wide={wide} />;
  }
}

// the diffusion nodes stream x_t and the predicted clean image side by side
export const DIFFUSION_HALVES: [string, string] = ['x_t (noisy)', 'predicted x0'];

export function NodeOutputs({ nodeId, nodeType, run, skipText, wide }: { nodeId: string; nodeType?: string; run: NodeRun; skipText?: boolean; wide?: boolean }) {
  const catalogue = useStudio((s) => s.catalogue);
  const runId = useStudio((s) => s.run.runId);
  // the server animates the frames a node streamed in this run (a node served from the cache streamed none)
  const animation = runId && !run.cached && run.status === 'done' ? animationLink(runId, nodeId) : undefined;
  const halves = nodeType && declOf(catalogue, nodeType)?.category === 'diffusion' ? DIFFUSION_HALVES : undefined;
  // a text node already shows its prompt; its text output would say it twice
  const outputs = Object.entries(run.outputs ?? {}).filter(([, v]) => !(skipText && v.kind === 'text'));
  if (!outputs.length && !run.frames.length && run.track.length < 2) return null;
  return (
    <div className="outputs nodrag nowheel">
      {/* the decoder's CLIP path: cosines here, its map path on the embedding map only */}
      {run.track.length > 1 && !run.clipPath.length ? <Trajectory nodeId={nodeId} track={run.track} live={run.status === 'running'} /> : null}
      {run.clipPath.length ? <ClipPathChart nodeId={nodeId} path={run.clipPath} /> : null}
      {run.frames.length ? <Filmstrip nodeId={nodeId} frames={run.frames} ts={run.ts} live={run.status === 'running'} halves={halves} wide={wide} animation={animation} /> : null}
      {outputs.map(([port, v]) => (
        <div key={port} className="output" data-port={port}>
          <Value nodeId={nodeId} port={port} v={v} wide={wide} />
        </div>
      ))}
    </div>
  );
}
