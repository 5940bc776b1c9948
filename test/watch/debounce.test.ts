import { describe, it, mock, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createDebouncer } from '../../src/watch/debounce.js';

const FLOOR = 50;
const CEILING = 200;

describe('createDebouncer', () => {
  let fired: number[];
  let d: ReturnType<typeof createDebouncer>;

  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
    fired = [];
    d = createDebouncer({ floorMs: FLOOR, ceilingMs: CEILING }, () => fired.push(Date.now()));
  });
  afterEach(() => {
    d.cancel();
    mock.timers.reset();
  });

  it('floor: a burst fires once, floorMs after its last event', () => {
    for (let i = 0; i < 5; i++) {
      d.trigger();
      mock.timers.tick(10);
    }
    // last trigger at +40; quiet until +90
    mock.timers.tick(FLOOR - 11);
    assert.deepEqual(fired, []);
    assert.equal(d.pending(), true);
    mock.timers.tick(1);
    assert.deepEqual(fired, [1_000_000 + 40 + FLOOR]);
    assert.equal(d.pending(), false);
    mock.timers.tick(1000);
    assert.equal(fired.length, 1);
  });

  it('ceiling: a continuous storm still fires every ceilingMs', () => {
    // an event every 20 ms (never FLOOR of quiet) for 1 s
    for (let t = 0; t < 1000; t += 20) {
      d.trigger();
      mock.timers.tick(20);
    }
    const start = 1_000_000;
    assert.deepEqual(
      fired,
      [1, 2, 3, 4, 5].map((k) => start + k * CEILING),
    );
  });

  it('an event after a fire starts a new window', () => {
    d.trigger();
    mock.timers.tick(FLOOR);
    d.trigger();
    mock.timers.tick(FLOOR);
    assert.equal(fired.length, 2);
  });

  it('flush fires a pending event at once, and only then', () => {
    d.flush();
    assert.deepEqual(fired, []);
    d.trigger();
    mock.timers.tick(10);
    d.flush();
    assert.deepEqual(fired, [1_000_010]);
    assert.equal(d.pending(), false);
    mock.timers.tick(1000);
    assert.equal(fired.length, 1);
  });

  it('cancel drops a pending event', () => {
    d.trigger();
    assert.equal(d.pending(), true);
    d.cancel();
    assert.equal(d.pending(), false);
    mock.timers.tick(1000);
    assert.deepEqual(fired, []);
  });

  it('a trigger from inside fire is not lost', () => {
    let reentered = false;
    const r = createDebouncer({ floorMs: FLOOR, ceilingMs: CEILING }, () => {
      fired.push(Date.now());
      if (!reentered) {
        reentered = true;
        r.trigger();
      }
    });
    r.trigger();
    mock.timers.tick(FLOOR);
    mock.timers.tick(FLOOR);
    assert.equal(fired.length, 2);
  });

  it('rejects a ceiling below the floor', () => {
    assert.throws(() => createDebouncer({ floorMs: 100, ceilingMs: 50 }, () => undefined), RangeError);
  });
});
