import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CoalescingRunner } from '../src/coalescing-runner.js';

describe('CoalescingRunner', () => {
  it('never overlaps runs and collapses requests made during a run into one more run', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const runner = new CoalescingRunner(async () => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      runs += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
      active -= 1;
    });
    const calls = [runner.run(), runner.run(), runner.run(), runner.run()];
    await Promise.all(calls);
    assert.equal(maxActive, 1);
    assert.equal(runs, 2, 'one run, then one more for the three requests that came during it');
    await runner.run();
    assert.equal(runs, 3);
  });

  it('propagates a failure and stays usable', async () => {
    let fail = true;
    const runner = new CoalescingRunner(async () => {
      await Promise.resolve();
      if (fail) throw new Error('boom');
    });
    await assert.rejects(runner.run(), /boom/);
    fail = false;
    await runner.run();
    await runner.idle();
  });
});
