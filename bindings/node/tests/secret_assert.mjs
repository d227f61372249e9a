// Test helper: assertions on tokens and secrets whose failure messages never
// show the values (node:assert would print them).
import assert from 'node:assert/strict';

/** `value` looks like an access token of the dev server. */
export function assertAccessToken(value, what = 'the result') {
  assert.ok(typeof value === 'string' && /^at_[0-9a-f]{32}$/.test(value), `${what} is not a dev-server access token`);
}

/** `actual` is `expected`. */
export function assertSameSecret(actual, expected, what) {
  assert.ok(actual === expected, `${what}: the values differ`);
}

/** `actual` is not `other`. */
export function assertDifferentSecret(actual, other, what) {
  assert.ok(actual !== other, `${what}: the values are equal`);
}
