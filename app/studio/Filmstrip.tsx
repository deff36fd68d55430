'use client';
// Step frames of a node that streamed them: the newest frame while it runs; afterwards every
// step with a scrubber, play/pause and a strip of thumbnails, and where the steps carried a noise
// level `t`, the schedule plot with the shown step marked. Frames keep their own shape: the
// diffusion nodes send x_t and the predicted clean image x0 side by side (a frame twice as wide
// as tall per image), drawn pixelated at a whole-number scale where it fits, never squashed.
import { useEffect, useState, type CSSProperties } from 'react';
import type { StepFrame } from '../lib/runState';
import { useStudio } from './store';
import { downloadPng, startDownload } from './download';
import { MaskOutline } from './MaskOutline';
import { SchedulePlot } from './SchedulePlot';

const THUMBS = 8;

/** Where the server animates the steps `nodeId` streamed in run `runId` (in a sweep, in variant `variant`): server/api.ts. */
export function animationLink(runId: string, nodeId: string, variant?: number): (ext: 'webp' | 'gif') => string {
  const base = `/api/runs/${encodeURIComponent(runId)}/animation/${encodeURIComponent(nodeId)}`;
  return (ext) => `${base}.${ext}${variant === undefined ? '' : `?variant=${variant}`}`;
}

/** The box a frame of natural size w×h is drawn in: as large as fits, by whole pixels when it can. */
export function frameBox(w: number, h: number, maxW: number, maxH: number): { width: number; height: number } {
  let s = Math.min(maxW / w, maxH / h);
  if (s >= 2) s = Math.floor(s);
  return { width: Math.round(w * s), height: Math.round(h * s) };
}

export function Filmstrip({
  nodeId,
  frames,
  ts,
  live,
  halves,
  wide,
  animation,
  at,
}: {
  nodeId: string;
  frames: StepFrame[];
  ts: { step: number; t: number }[];
  live: boolean;
  /** Captions for the left and right half of each frame (x_t | predicted x0). */
  halves?: [string, string];
  /** More room (the notebook view). */
  wide?: boolean;
  /** Where the server makes this run's frames into an animation (animationLink), when it can. */
  animation?: (ext: 'webp' | 'gif') => string;
  /** Driven from outside (the compare page's one scrubber for two strips): show this frame, without controls of its own. */
  at?: number;
}) {
  // null: follow the newest frame (live, or nothing picked yet)
  const [index, setIndex] = useState<number | null>(null);
  const [playing, setPlaying] = useState(false);
  const [dims, setDims] = useState<[number, number] | null>(null);
  const currentGraph = useStudio((s) => s.currentGraph);
  const setNotice = useStudio((s) => s.setNotice);
  const last = frames.length - 1;
  const shown = at !== undefined ? Math.min(Math.max(0, at), last) : live || index === null ? last : Math.min(index, last);

  useEffect(() => {
    if (!playing) return;
    const h = setInterval(() => {
      setIndex((i) => {
        const next = (i ?? 0) + 1;
        if (next > last) {
          setPlaying(false);
          return last;
        }
        return next;
      });
    }, Math.max(40, Math.min(250, 3000 / Math.max(1, frames.length))));
    return () => clearInterval(h);
  }, [playing, last, frames.length]);

  const f = frames[shown];
  if (!f) return null;
  const thumbs = frames.length <= THUMBS ? frames.map((_, i) => i) : Array.from({ length: THUMBS }, (_, k) => Math.round((k * last) / (THUMBS - 1)));
  const play = () => {
    if (!playing && shown >= last) setIndex(0); // at the end, play from the start
    setPlaying(!playing);
  };
  const box = dims ? frameBox(dims[0], dims[1], wide ? 440 : 224, wide ? 260 : 168) : null;
  const style: CSSProperties | undefined = box ? { width: box.width, height: box.height } : undefined;
  return (
    <div className="filmstrip" data-testid={`filmstrip-${nodeId}`} data-frames={frames.length} data-index={shown} data-live={live ? 'true' : 'false'}>
      <div className="frame-wrap">
        <img
          className="frame"
          src={f.url}
          alt={`${nodeId} step ${f.step} of ${f.total}${halves ? `: ${halves[0]} left, ${halves[1]} right` : ''}`}
          style={style}
          data-testid={`frame-${nodeId}`}
          onLoad={(e) => {
            const im = e.currentTarget;
            if (!dims || dims[0] !== im.naturalWidth || dims[1] !== im.naturalHeight) setDims([im.naturalWidth, im.naturalHeight]);
          }}
        />
        {dims && box ? <MaskOutline nodeId={nodeId} natural={dims} box={box} tilesAcross={halves ? 2 : 1} /> : null}
      </div>
      {halves ? (
        <div className="frame-halves" style={box ? { width: box.width } : undefined} aria-hidden>
          <span>{halves[0]}</span>
          <span>{halves[1]}</span>
        </div>
      ) : null}
      <div className="film-meta" data-testid={`film-step-${nodeId}`}>
        step {f.step}/{f.total}
        {f.t !== undefined ? ` · noise t ${f.t.toFixed(3)}` : ''}
        {live ? ' · live' : ''}
      </div>
      {!live && at === undefined && frames.length > 1 ? (
        <>
          <div className="film-controls">
            <button type="button" className="mini" onClick={play} aria-label={playing ? 'pause the filmstrip' : 'play the filmstrip'} data-testid={`play-${nodeId}`}>
              {playing ? '❚❚' : '▶'}
            </button>
            <input
              type="range"
              min={0}
              max={last}
              value={shown}
              onChange={(e) => {
                setPlaying(false);
                setIndex(Number(e.target.value));
              }}
              aria-label={`scrub the steps of ${nodeId}`}
              data-testid={`scrubber-${nodeId}`}
            />
            <button type="button" className="mini" aria-label={`download step ${f.step} as PNG with its graph`} onClick={() => f.url && startDownload(`step ${f.step}`, () => downloadPng(f.url!, currentGraph(), `${nodeId}-step-${f.step}.png`), setNotice)}>
              PNG
            </button>
            {animation ? (
              <>
                <a className="mini" href={animation('webp')} download aria-label={`download the steps of ${nodeId} as an animated WebP with its graph`} data-testid={`anim-webp-${nodeId}`}>
                  WebP
                </a>
                <a className="mini" href={animation('gif')} download aria-label={`download the steps of ${nodeId} as an animated GIF`}>
                  GIF
                </a>
              </>
            ) : null}
          </div>
          <div className="thumbs" role="group" aria-label="steps">
            {thumbs.map((i) => (
              <button key={i} type="button" className={`thumb${i === shown ? ' on' : ''}`} onClick={() => { setPlaying(false); setIndex(i); }} aria-label={`show step ${frames[i]!.step}`}>
                <img src={frames[i]!.url} alt="" height={20} />
              </button>
            ))}
          </div>
        </>
      ) : null}
      {ts.length > 1 ? <SchedulePlot ts={ts} current={f.step} total={f.total} /> : null}
    </div>
  );
}
