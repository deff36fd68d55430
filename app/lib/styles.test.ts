import { test } from 'node:test';
import assert from 'node:assert/strict';
import { styleOf, withStyle } from './styles';

const KNOWN = ['noto style', 'openmoji style', 'fluent flat style'];

test('a style is added to every prompt line, and replaces the style a line already ends in', () => {
  assert.equal(withStyle('red apple', 'openmoji style', KNOWN), 'red apple, openmoji style');
  assert.equal(withStyle('red apple, noto style', 'openmoji style', KNOWN), 'red apple, openmoji style');
  assert.equal(withStyle('red apple noto style\n\nbanana ', 'fluent flat style', KNOWN), 'red apple, fluent flat style\n\nbanana, fluent flat style');
  assert.equal(withStyle('', 'noto style', KNOWN), '');
  assert.equal(withStyle('openmoji style', 'noto style', KNOWN), 'noto style');
});

test('the style a prompt ends in', () => {
  assert.equal(styleOf('red apple, openmoji style\nbanana', KNOWN), 'openmoji style');
  assert.equal(styleOf('red apple', KNOWN), undefined);
});
