import { test } from 'node:test';
import assert from 'node:assert/strict';
import { remainingSeconds } from './progress.js';

test('remainingSeconds: at the rate since the first report, so a resumed run is not shown as nearly done', () => {
  // Resumed at step 4,995 of 8,000; 10 steps in 30 s since then: 2,995 steps left at 3 s each.
  assert.equal(remainingSeconds(5005, 8000, 4995, 30), 8985);
  assert.equal(remainingSeconds(50, 100, 0, 10), 10, 'a fresh run: as far again');
  assert.ok(Number.isNaN(remainingSeconds(4995, 8000, 4995, 0)), 'no rate yet: unknown, not 0');
  assert.equal(remainingSeconds(8000, 8000, 4995, 100), 0);
});
