'use client';
// Painting a mask node's bitmap with the mouse (issue 25): a 32x32 grid drawn large over the image
// its `image` input shows (that node's output in the current run; a white square before one), the
// painted pixels tinted. Brush size, erase, clear, invert. Each stroke is saved when the pointer
// lifts, as a PNG data URL in the node's `painted` param (so it is in the saved and shared graph,
// like uploads), and the shape becomes "painted". The bits logic is lib/maskBits.ts.
import { useEffect, useRef, useState } from 'react';
import { imageList } from '../../protocol';
import { bitsFromRgba, emptyBits, invertBits, rgbaFromBits, strokeLine, type Bits } from '../lib/maskBits';
import { useStudio } from './store';

/** The painter's grid: the decoder's image size (the node resizes it to the image it is linked to). */
export const PAINT_SIZE = 32;
const VIEW = 224;
const TINT = [255, 40, 120, 150];

function bitsToPng(b: Bits): string {
  const c = document.createElement('canvas');
  c.width = c.height = b.size;
  c.getContext('2d')!.putImageData(new ImageData(rgbaFromBits(b), b.size, b.size), 0, 0);
  return c.toDataURL('image/png');
}

export async function bitsFromUrl(url: string, size: number): Promise<Bits> {
  const im = new Image();
  im.src = url;
  await im.decode();
  const c = document.createElement('canvas');
  c.width = c.height = size;
  const g = c.getContext('2d')!;
  g.imageSmoothingEnabled = false;
  g.drawImage(im, 0, 0, size, size);
  return bitsFromRgba(g.getImageData(0, 0, size, size).data, size);
}

/** The first image on the output linked to `nodeId`'s `port`, in the current run, as a URL. */
export function useLinkedImage(nodeId: string, port: string): string | undefined {
  return useStudio((s) => {
    const e = s.edges.find((x) => x.target === nodeId && x.targetHandle === port);
    const v = e ? s.run.nodes[e.source]?.outputs?.[e.sourceHandle ?? ''] : undefined;
    return v?.kind === 'image' ? (imageList(v.images)[0] as string | undefined) : undefined;
  });
}

export function MaskPainter({ nodeId, painted, shape, disabled, onParam }: { nodeId: string; painted: unknown; shape: unknown; disabled: boolean; onParam: (name: string, v: unknown) => void }) {
  const under = useLinkedImage(nodeId, 'image');
  const bits = useRef<Bits>(emptyBits(PAINT_SIZE));
  const saved = useRef<unknown>(undefined);
  const last = useRef<[number, number] | null>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [brush, setBrush] = useState(3);
  const [erase, setErase] = useState(false);
  const [painting, setPainting] = useState(false);

  const draw = () => {
    const g = canvas.current?.getContext('2d');
    if (!g) return;
    const b = bits.current;
    const rgba = new Uint8ClampedArray(b.size * b.size * 4);
    for (let k = 0; k < b.size * b.size; k++) if (b.data[k]) rgba.set(TINT, k * 4);
    g.putImageData(new ImageData(rgba, b.size, b.size), 0, 0);
  };

  // the param changed from outside (a graph loaded, undo): read it back into the bits
  useEffect(() => {
    if (painted === saved.current) return;
    saved.current = painted;
    if (typeof painted !== 'string') {
      bits.current = emptyBits(PAINT_SIZE);
      draw();
      return;
    }
    let live = true;
    bitsFromUrl(painted, PAINT_SIZE).then(
      (b) => {
        if (!live) return;
        bits.current = b;
        draw();
      },
      () => {}, // not an image the browser reads: the server says so on the node (IMAGE_UNREADABLE)
    );
    return () => {
      live = false;
    };
  }, [painted]);

  const save = () => {
    const url = bitsToPng(bits.current);
    saved.current = url;
    onParam('painted', url);
    if (shape !== 'painted') onParam('shape', 'painted');
  };
  const at = (e: React.PointerEvent<HTMLCanvasElement>): [number, number] => {
    const r = e.currentTarget.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * PAINT_SIZE, ((e.clientY - r.top) / r.height) * PAINT_SIZE];
  };
  const paintTo = (p: [number, number]) => {
    const from = last.current ?? p;
    strokeLine(bits.current, from[0], from[1], p[0], p[1], brush, erase ? 0 : 1);
    last.current = p;
    draw();
  };
  const replace = (b: Bits) => {
    bits.current = b;
    draw();
    save();
  };

  return (
    <div className="mask-painter nodrag" data-testid={`mask-painter-${nodeId}`}>
      <div className="mask-stage" style={{ width: VIEW, height: VIEW }}>
        {under ? <img src={under} alt="the image being masked" width={VIEW} height={VIEW} /> : null}
        <canvas
          ref={(c) => {
            canvas.current = c;
            draw();
          }}
          width={PAINT_SIZE}
          height={PAINT_SIZE}
          style={{ width: VIEW, height: VIEW, cursor: disabled ? 'not-allowed' : 'crosshair' }}
          aria-label="paint the mask: white (tinted) is redrawn"
          data-testid={`mask-canvas-${nodeId}`}
          onPointerDown={(e) => {
            if (disabled || e.button !== 0) return;
            e.currentTarget.setPointerCapture(e.pointerId);
            setPainting(true);
            last.current = null;
            paintTo(at(e));
          }}
          onPointerMove={(e) => {
            if (painting) paintTo(at(e));
          }}
          onPointerUp={() => {
            if (!painting) return;
            setPainting(false);
            last.current = null;
            save();
          }}
        />
      </div>
      <div className="row mask-tools">
        <label>
          brush <input type="range" min={1} max={12} value={brush} onChange={(e) => setBrush(Number(e.target.value))} aria-label="brush size" disabled={disabled} /> {brush}px
        </label>
      </div>
      <div className="row mask-tools">
        <button type="button" className={`mini${erase ? ' on' : ''}`} aria-pressed={erase} disabled={disabled} onClick={() => setErase(!erase)}>
          erase
        </button>
        <button type="button" className="mini" disabled={disabled} onClick={() => replace(emptyBits(PAINT_SIZE))}>
          clear
        </button>
        <button type="button" className="mini" disabled={disabled} onClick={() => replace(invertBits(bits.current))}>
          invert
        </button>
        <span className="hint">
          {under ? 'over the linked image' : 'link an image (and run) to paint over it'}
          {shape !== 'painted' ? `; painting replaces the ${String(shape)}` : ''}
        </span>
      </div>
    </div>
  );
}
