import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatNumber, parseNumberField } from './numberField.js';

const steps = { kind: 'integer', min: 1, max: 100 } as const;
const guidance = { kind: 'number', min: 1, max: 20 } as const;

test('a number the declaration allows is committed as typed', () => {
  assert.deepEqual(parseNumberField('8', steps), { ok: true, value: 8 });
  assert.deepEqual(parseNumberField(' 100 ', steps), { ok: true, value: 100 });
  assert.deepEqual(parseNumberField('1.5', guidance), { ok: true, value: 1.5 });
  assert.deepEqual(parseNumberField('2e1', guidance), { ok: true, value: 20 });
  assert.deepEqual(parseNumberField('-0.5', { kind: 'number' }), { ok: true, value: -0.5 });
});

test('out of range is an error naming the range, never clamped', () => {
  for (const t of ['0', '-1', '101', '100000']) {
    const r = parseNumberField(t, steps);
    assert.equal(r.ok, false, t);
    assert.match(!r.ok ? r.message : '', /outside 1 … 100/);
  }
  const r = parseNumberField('0.5', guidance);
  assert.ok(!r.ok && /0\.5 is outside 1 … 20/.test(r.message));
});

test('empty, partial and non-numbers are errors while typing', () => {
  for (const t of ['', '  ', '-', '.', '1e', 'abc', '0x10', '1,5', 'Infinity', 'NaN']) {
    const r = parseNumberField(t, steps);
    assert.equal(r.ok, false, JSON.stringify(t));
  }
  assert.match((parseNumberField('', steps) as { message: string }).message, /enter a whole number \(1 … 100\)/);
  assert.match((parseNumberField('2.5', steps) as { message: string }).message, /whole number \(1 … 100\)/);
  assert.match((parseNumberField('x', { kind: 'number' }) as { message: string }).message, /not a number$/);
});

test('a stored value shows as its plain text', () => {
  assert.equal(formatNumber(25), '25');
  assert.equal(formatNumber(0.05), '0.05');
  assert.equal(formatNumber(undefined), '');
});
