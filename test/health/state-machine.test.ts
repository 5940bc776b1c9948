import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { MirrorState, ProbeSettings } from '../../src/model.js';
import type { ProbeResult } from '../../src/health/probe.js';
import { FLAP_WINDOW_INTERVALS, initialHealth, nextHealth, successesRequired, type MirrorHealth } from '../../src/health/state-machine.js';

const INTERVAL = 1000;
const T0 = 1_700_000_000_000;
const settings = (failureThreshold: number, successThreshold: number): ProbeSettings => ({
  intervalMs: INTERVAL,
  timeoutMs: 500,
  failureThreshold,
  successThreshold,
});

const OK: ProbeResult = { ok: true, status: 200, durationMs: 1, at: 0 };
const FAIL: ProbeResult = { ok: false, error: 'connect ECONNREFUSED', durationMs: 1, at: 0 };
const LETTER: Record<MirrorState, string> = { unknown: 'u', up: 'U', down: 'D' };

/** Feeds `results` ('o' = success, 'x' = failure), one per interval, and returns the state after each as a letter. */
function run(
  results: string,
  s: ProbeSettings,
  start: MirrorHealth = initialHealth(T0),
  startAt = T0,
): { states: string; health: MirrorHealth } {
  let health = start;
  let states = '';
  [...results].forEach((r, i) => {
    health = nextHealth(health, r === 'o' ? OK : FAIL, s, startAt + (i + 1) * INTERVAL);
    states += LETTER[health.state];
  });
  return { states, health };
}

describe('state machine thresholds (F = failureThreshold, S = successThreshold)', () => {
  const table: Array<{ name: string; f: number; s: number; results: string; states: string }> = [
    { name: 'unknown until S successes', f: 3, s: 2, results: 'oo', states: 'uU' },
    { name: 'unknown until F failures', f: 3, s: 2, results: 'xxx', states: 'uuD' },
    { name: 'mixed results at boot prove nothing', f: 3, s: 2, results: 'oxoxxo', states: 'uuuuuu' },
    { name: 'up survives F-1 failures', f: 3, s: 2, results: 'ooxxo', states: 'uUUUU' },
    { name: 'up -> down after F consecutive failures', f: 3, s: 2, results: 'ooxxx', states: 'uUUUD' },
    { name: 'a success resets the failure count', f: 3, s: 2, results: 'ooxxoxxx', states: 'uUUUUUUD' },
    { name: 'down -> up after S consecutive successes', f: 3, s: 2, results: 'xxxoo', states: 'uuDDU' },
    { name: 'a failure resets the success count', f: 3, s: 2, results: 'xxxoxoo', states: 'uuDDDDU' },
    { name: 'thresholds of 1 follow every probe', f: 1, s: 1, results: 'oxo', states: 'UDU' },
    { name: 'S = 3 at boot', f: 2, s: 3, results: 'ooxooo', states: 'uuuuuU' },
  ];
  for (const row of table) {
    it(`${row.name}: ${row.results} -> ${row.states} (F=${row.f}, S=${row.s})`, () => {
      assert.equal(run(row.results, settings(row.f, row.s)).states, row.states);
    });
  }

  it('is boot-safe: a new mirror is unknown, not up', () => {
    const health = initialHealth(T0);
    assert.equal(health.state, 'unknown');
    assert.equal(health.since, T0);
    assert.deepEqual(health.transitions, []);
  });

  it('records when the state was entered and the last result', () => {
    const { health } = run('xxx', settings(3, 1));
    assert.equal(health.since, T0 + 3 * INTERVAL);
    assert.equal(health.lastResult, FAIL);
    const later = nextHealth(health, FAIL, settings(3, 1), T0 + 4 * INTERVAL);
    assert.equal(later.since, T0 + 3 * INTERVAL, 'staying down does not move `since`');
  });

  it('never transitions on fewer than the threshold (any sequence, any thresholds)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.boolean(), { maxLength: 80 }),
        (f, s, oks) => {
          let health = initialHealth(T0);
          oks.forEach((ok, i) => {
            const next = nextHealth(health, ok ? OK : FAIL, settings(f, s), T0 + (i + 1) * INTERVAL);
            if (next.state !== health.state && next.state === 'up') assert.ok(next.consecutiveOk >= s);
            if (next.state !== health.state && next.state === 'down') assert.ok(next.consecutiveFail >= f);
            health = next;
          });
        },
      ),
    );
  });
});

describe('flap damping (the dwell rule)', () => {
  it('each recent fall needs twice the successes of the previous one to come back, up to x8', () => {
    const s = settings(1, 1);
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 9].map((k) => successesRequired(k, s)),
      [1, 1, 2, 4, 8, 8, 8],
    );
    assert.equal(successesRequired(3, settings(3, 2)), 8);
  });

  it('a mirror that fails every other probe stays down, the safe side', () => {
    const { states } = run('ox'.repeat(FLAP_WINDOW_INTERVALS / 2), settings(1, 1));
    const ups = (states.match(/U+/g) ?? []).length;
    // Undamped this would be 30 returns to up in the window; damped, the second fall already needs 2 successes in a row.
    assert.equal(ups, 2, states);
    assert.match(states, /D{50}$/, 'ends held down');
  });

  it('the time spent down grows with each fall inside the window', () => {
    // F=1, S=1: falls at x; successes needed to return: 1, 2, 4, 8.
    const results = 'o' + 'x' + 'o' + 'x' + 'oo' + 'x' + 'oooo' + 'x' + 'oooooooo' + 'x' + 'oooooooo';
    assert.equal(run(results, settings(1, 1)).states, 'U' + 'D' + 'U' + 'D' + 'DU' + 'D' + 'DDDU' + 'D' + 'DDDDDDDU' + 'D' + 'DDDDDDDU');
  });

  it('falls older than the window are forgotten: the normal threshold applies again', () => {
    const s = settings(1, 1);
    const flapped = run('oxoxooxoooox', s).health;
    assert.equal(flapped.transitions.length, 4);
    const quietStart = T0 + 12 * INTERVAL;
    // A long healthy stretch (more than the window), then one fall: back up after a single success.
    const quiet = run('o'.repeat(8) + 'o'.repeat(FLAP_WINDOW_INTERVALS), s, flapped, quietStart);
    assert.equal(quiet.health.state, 'up');
    const fallAgain = run('xo', s, quiet.health, quietStart + (8 + FLAP_WINDOW_INTERVALS) * INTERVAL);
    assert.equal(fallAgain.states, 'DU');
    assert.equal(fallAgain.health.transitions.length, 1);
  });

  it('damping never delays the way down: still exactly F failures', () => {
    // F=2, S=1: the second return needs 2 successes (damped), the third fall still takes exactly 2 failures.
    assert.equal(run('oxxoxxooxx', settings(2, 1)).states, 'UUDUUDDUUD');
  });
});
