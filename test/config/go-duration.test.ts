import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration } from '../../src/config/go-duration.js';

describe('parseDuration', () => {
  it('reads Go/Kubernetes duration strings as milliseconds', () => {
    const cases: Array<[string, number]> = [
      ['500ms', 500],
      ['2s', 2000],
      ['1m', 60_000],
      ['1m30s', 90_000],
      ['1h', 3_600_000],
      ['1.5s', 1500],
      ['.5s', 500],
      ['1500us', 1.5],
      // Both spellings Go accepts: the micro sign (U+00B5) and the Greek mu (U+03BC).
      ['1500\u00b5s', 1.5],
      ['2500\u03bcs', 2.5],
      ['2000000ns', 2],
      ['1h2m3s4ms', 3_723_004],
      ['0s', 0],
    ];
    for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text);
  });

  it('rejects bare numbers, signs, spaces, unknown units and junk', () => {
    for (const text of [
      '2',
      '0',
      '',
      '-1s',
      '+1s',
      '1 s',
      ' 1s',
      '1d',
      '1S',
      'ms',
      '1s2',
      's1',
      '1..5s',
      'NaNs',
      '1e3ms',
      '9'.repeat(400) + 'h',
    ]) {
      assert.throws(() => parseDuration(text), RangeError, JSON.stringify(text));
    }
  });
});
