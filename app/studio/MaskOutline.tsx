'use client';
// The region a decoder redraws, outlined on its filmstrip frames (issue 25): the image on its
// `mask` input in the current run (the mask node's output), traced as pixel edges
// (lib/maskBits.ts's outlinePath) over every x_t | x0 tile of the frame. The first mask stands for
// all rows when there are several.
import { useEffect, useState } from 'react';
import { outlinePath } from '../lib/maskBits';
import { bitsFromUrl, useLinkedImage } from './MaskPainter';

export function MaskOutline({ nodeId, natural, box, tilesAcross }: { nodeId: string; natural: [number, number]; box: { width: number; height: number }; tilesAcross: number }) {
  const url = useLinkedImage(nodeId, 'mask');
  const tile = natural[0] / tilesAcross; // the frame's image size (its tiles are square)
  const [path, setPath] = useState<{ d: string; size: number } | null>(null);
  useEffect(() => {
    if (!url) return setPath(null);
    let live = true;
    // read at its own pixel size (the mask node makes it the size of the image it edits)
    const probe = new Image();
    probe.src = url;
    probe
      .decode()
      .then(() => bitsFromUrl(url, probe.naturalWidth))
      .then(
        (b) => live && setPath({ d: outlinePath(b), size: b.size }),
        () => live && setPath(null),
      );
    return () => {
      live = false;
    };
  }, [url]);
  if (!url || !path || !path.d || !(tile > 0)) return null;
  const rows = Math.round(natural[1] / tile);
  const tiles: [number, number][] = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < tilesAcross; c++) tiles.push([c * tile, r * tile]);
  return (
    <svg className="mask-outline" width={box.width} height={box.height} viewBox={`0 0 ${natural[0]} ${natural[1]}`} data-testid={`mask-outline-${nodeId}`} aria-label="the masked region (redrawn)">
      {tiles.map(([x, y]) => (
        <path key={`${x},${y}`} d={path.d} transform={`translate(${x} ${y}) scale(${tile / path.size})`} />
      ))}
    </svg>
  );
}
