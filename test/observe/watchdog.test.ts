import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WatchdogGate, shouldPing, staleReason } from '../../src/observe/watchdog.js';
import { realClock } from '../../src/clock.js';
import { ManualClock } from '../helpers/manual-clock.js';

const deadlines = { reconcileMs: 90_000, probeMs: 30_000 };

describe('watchdog gate (invariant 8)', () => {
  const cases: Array<{ name: string; reconcileAgo: number; probeAgo: number; ping: boolean }> = [
    { name: 'both fresh', reconcileAgo: 1_000, probeAgo: 1_000, ping: true },
    { name: 'both exactly at their deadline', reconcileAgo: 90_000, probeAgo: 30_000, ping: true },
    { name: 'probe loop stale', reconcileAgo: 1_000, probeAgo: 30_001, ping: false },
    { name: 'reconcile loop stale', reconcileAgo: 90_001, probeAgo: 1_000, ping: false },
    { name: 'both stale', reconcileAgo: 200_000, probeAgo: 200_000, ping: false },
  ];
  for (const c of cases) {
    it(`${c.ping ? 'pings' : 'does not ping'}: ${c.name}`, () => {
      const now = 1_000_000;
      assert.equal(shouldPing(now, { reconcileProgressAt: now - c.reconcileAgo, probeProgressAt: now - c.probeAgo, deadlines }), c.ping);
    });
  }

  it('names the stale loop', () => {
    assert.equal(
      staleReason(100_000, { reconcileProgressAt: 99_000, probeProgressAt: 55_000, deadlines }),
      'probe loop made no progress for 45s (deadline 30s)',
    );
  });

  it('follows progress reported by the loops on an injected clock', () => {
    let now = 0;
    const gate = new WatchdogGate(deadlines, { ...realClock, monotonic: () => now });
    assert.equal(gate.shouldPing(), true);
    now = 20_000;
    gate.probeProgress();
    now = 45_000;
    assert.equal(gate.shouldPing(), true);
    now = 50_001;
    assert.equal(gate.shouldPing(), false, 'probe loop silent for 30.001 s');
    assert.match(gate.stale() ?? '', /^probe loop/);
    gate.probeProgress();
    assert.equal(gate.shouldPing(), true);
    now = 90_001;
    gate.probeProgress();
    assert.equal(gate.shouldPing(), false, 'reconcile loop silent since start');
    assert.match(gate.stale() ?? '', /^reconcile loop made no progress for 90s/);
    gate.reconcileProgress();
    assert.equal(gate.stale(), undefined);
  });

  it('counts a reload in flight past its deadline (a read stuck on a FIFO or a hung mount), and an idle reload loop never', () => {
    let now = 0;
    const gate = new WatchdogGate({ ...deadlines, reloadMs: 60_000 }, { ...realClock, monotonic: () => now });
    now = 500_000;
    gate.reconcileProgress();
    gate.probeProgress();
    assert.equal(gate.stale(), undefined, 'no reload for 500 s is not a stuck reload');
    gate.reloadStarted();
    now = 560_000;
    gate.reconcileProgress();
    gate.probeProgress();
    assert.equal(gate.shouldPing(), true, 'a reload of exactly its deadline');
    now = 560_001;
    gate.reconcileProgress();
    gate.probeProgress();
    assert.equal(gate.shouldPing(), false);
    assert.match(gate.stale() ?? '', /^reload loop made no progress for 60s \(deadline 60s\)/);
    gate.reloadEnded();
    assert.equal(gate.stale(), undefined);
  });

  it('ages progress on the monotonic clock: a wall clock stepped 1 h forward is not a stalled loop', () => {
    const clock = new ManualClock();
    const gate = new WatchdogGate(deadlines, clock);
    clock.advance(1_000);
    clock.stepWall(3_600_000);
    assert.equal(gate.stale(), undefined);
    assert.equal(gate.shouldPing(), true);
  });
});
