import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bitsFromRgba, emptyBits, invertBits, outlinePath, rgbaFromBits, stamp, strokeLine, type Bits } from './maskBits';

const show = (b: Bits) => Array.from({ length: b.size }, (_, i) => Array.from(b.data.subarray(i * b.size, (i + 1) * b.size), (v) => (v ? '#' : '.')).join(''));

test('a round brush, a stroke without gaps, erase and invert', () => {
  const b = emptyBits(8);
  stamp(b, 4, 4, 4, 1); // a disc of diameter 4 around the grid point (4, 4)
  assert.deepEqual(show(b), ['........', '........', '...##...', '..####..', '..####..', '...##...', '........', '........']);
  const line = emptyBits(8);
  strokeLine(line, 0.5, 0.5, 7.5, 0.5, 1, 1); // a 1-pixel brush across the top row
  assert.equal(show(line)[0], '########');
  stamp(line, 3.5, 0.5, 1, 0); // erase one pixel
  assert.equal(show(line)[0], '###.####');
  assert.equal(show(invertBits(line))[0], '...#....');
  assert.equal(show(invertBits(line))[1], '########');
});

test('bits survive RGBA (white = redraw; transparent = keep) and come back the same', () => {
  const b = emptyBits(4);
  stamp(b, 1, 1, 2, 1);
  assert.deepEqual(bitsFromRgba(rgbaFromBits(b), 4).data, b.data);
  const clear = new Uint8ClampedArray(4 * 4 * 4).fill(255);
  for (let k = 0; k < 16; k++) clear[k * 4 + 3] = 0; // white but transparent
  assert.deepEqual([...bitsFromRgba(clear, 4).data], Array(16).fill(0));
});

test('the outline of a region is its boundary edges', () => {
  const one = emptyBits(3);
  one.data[4] = 1; // the centre pixel
  assert.equal(outlinePath(one), 'M1 1H2M1 2H2M1 1V2M2 1V2');
  const top = { size: 2, data: Uint8Array.from([1, 1, 0, 0]) };
  assert.equal(outlinePath(top), 'M0 0H2M0 1H2M0 0V1M2 0V1');
  assert.equal(outlinePath(emptyBits(2)), '');
});
