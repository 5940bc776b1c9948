import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import { HealthMonitor, JITTER_FRACTION, UNKNOWN_PROBE_GAP_MS, type MonitorEvents } from '../../src/health/monitor.js';
import type { ProbeResult, ProbeTarget } from '../../src/health/probe.js';
import type { MirrorState } from '../../src/model.js';
import { hangServer, httpServer, statusHandler, switchableServer } from '../helpers/servers.js';
import { fdCount, fdCountUnavailable, fdsSettleTo } from './fds.js';
import { FAST, monitorHarness, Recorder, target } from './monitor-recorder.js';
import { realClock } from '../../src/clock.js';
import { ManualClock } from '../helpers/manual-clock.js';

const timeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('HealthMonitor against real loopback servers', () => {
  const { monitorFor, closing } = monitorHarness();

  it('a mirror going away is down after failureThreshold failed probes, and up again when it is back', async () => {
    const server = closing(await switchableServer(200));
    const events = new Recorder();
    const monitor = monitorFor(events);
    monitor.setTargets([target(server.url)], FAST);
    assert.equal(monitor.view().get(server.url), 'unknown', 'boot-safe: unknown until proven');

    await events.waitFor('up', () => events.lastTo(server.url) === 'up');
    assert.equal(monitor.view().get(server.url), 'up');

    await server.stop();
    const before = events.results.length;
    await events.waitFor('down', () => events.lastTo(server.url) === 'down');
    const failedSinceStop = events.results.slice(before).filter((r) => !r.result.ok);
    assert.equal(failedSinceStop.length, FAST.failureThreshold, 'down on exactly the F-th failure');
    assert.equal(failedSinceStop.at(-1)?.result.error, 'connect ECONNREFUSED');

    await server.start();
    await events.waitFor('up again', () => events.lastTo(server.url) === 'up');
    assert.deepEqual(
      events.transitions.map((t) => `${t.from}->${t.to}`),
      ['unknown->up', 'up->down', 'down->up'],
    );
  });

  it('reports a transition with view() already showing the new state, so the daemon can re-render at once', async () => {
    const server = closing(await switchableServer(200));
    const seen: Array<MirrorState | undefined> = [];
    const events = new Recorder();
    const spy: MonitorEvents = {
      onResult: (...args) => events.onResult(...args),
      onTransition: (url, from, to, health) => {
        // Called from the probe loop, long after `monitor` below is initialised.
        seen.push(monitor.view().get(url));
        events.onTransition(url, from, to, health);
      },
    };
    const monitor = monitorFor(spy);
    monitor.setTargets([target(server.url)], FAST);
    await events.waitFor('up', () => events.lastTo(server.url) === 'up');
    server.setStatus(500);
    await events.waitFor('down', () => events.lastTo(server.url) === 'down');
    assert.deepEqual(seen, ['up', 'down']);
  });

  it('two mirrors of one registry are independent', async () => {
    const a = closing(await switchableServer(200));
    const b = closing(await switchableServer(401));
    const events = new Recorder();
    const monitor = monitorFor(events);
    monitor.setTargets([target(a.url), target(b.url)], FAST);
    await events.waitFor('both up', () => events.lastTo(a.url) === 'up' && events.lastTo(b.url) === 'up');
    a.setStatus(404);
    await events.waitFor('a down', () => events.lastTo(a.url) === 'down');
    const bResultsAfter = events.results.filter((r) => r.url === b.url).length;
    await events.waitFor(
      'b probed again',
      () => events.results.filter((r) => r.url === b.url).length > bResultsAfter + FAST.failureThreshold,
    );
    assert.deepEqual(Object.fromEntries(monitor.view()), { [a.url]: 'down', [b.url]: 'up' });
    assert.equal(events.transitions.filter((t) => t.url === b.url).length, 1, 'b only ever went unknown -> up');
  });

  it('setTargets keeps the state of kept URLs, starts new ones unknown and drops removed ones', async () => {
    // a answers slowly, so a probe of it is in flight when it is removed.
    const a = closing(await httpServer((req, res) => setTimeout(() => statusHandler(200)(req, res), 100)));
    const b = closing(await switchableServer(200));
    const events = new Recorder();
    const monitor = monitorFor(events);
    monitor.setTargets([target(a.url)], FAST);
    await events.waitFor('a up', () => events.lastTo(a.url) === 'up');
    const since = monitor.snapshot().get(a.url)?.since;

    monitor.setTargets([target(b.url), target(a.url), target(a.url)], { ...FAST, failureThreshold: 3 });
    assert.deepEqual(Object.fromEntries(monitor.view()), { [a.url]: 'up', [b.url]: 'unknown' });
    assert.equal(monitor.snapshot().get(a.url)?.since, since, 'a kept its state');
    await events.waitFor('b up', () => events.lastTo(b.url) === 'up');

    monitor.setTargets([target(b.url)], FAST);
    const aResults = events.results.filter((r) => r.url === a.url).length;
    await new Promise((r) => setTimeout(r, 300)); // the in-flight probe of a comes back in this time
    assert.deepEqual([...monitor.view().keys()], [b.url]);
    const bResults = events.results.filter((r) => r.url === b.url).length;
    await events.waitFor('b probed twice more', () => events.results.filter((r) => r.url === b.url).length >= bResults + 2);
    assert.equal(events.results.filter((r) => r.url === a.url).length, aResults, 'a removed target is not probed or reported');
  });

  it('stop() cancels every timer and waits for the probe in flight: no timer, no socket left', { skip: fdCountUnavailable }, async () => {
    const ok = closing(await switchableServer(200));
    const hang = closing(await hangServer());
    const baselineFds = fdCount();
    const baselineTimeouts = timeouts();
    const events = new Recorder();
    const monitor = new HealthMonitor({ settings: { ...FAST, timeoutMs: 1000 }, events });
    monitor.setTargets([target(ok.url), target(hang.url)], { ...FAST, timeoutMs: 1000 });
    // The ok endpoint answers at once; by its third result the hang probe (1 s deadline) is in flight.
    await events.waitFor('ok probed 3 times', () => events.results.filter((r) => r.url === ok.url).length >= 3);
    assert.ok(fdCount() > baselineFds, 'the hung probe holds a socket');
    await monitor.stop();
    const results = events.results.length;
    assert.equal(timeouts(), baselineTimeouts, 'no timer left behind');
    assert.ok((await fdsSettleTo(baselineFds)) <= baselineFds, 'no socket left behind');
    await new Promise((r) => setTimeout(r, 3 * FAST.intervalMs));
    assert.equal(events.results.length, results, 'nothing probed or reported after stop()');
  });
});

describe('HealthMonitor scheduling (mock timers)', () => {
  const T0 = 1_700_000_000_000;
  const OK: ProbeResult = { ok: true, status: 200, durationMs: 0, at: 0 };
  afterEach(() => mock.timers.reset());

  /** Advances fake time in small steps, letting the probes' promises settle in between. */
  async function advance(ms: number, step = 10): Promise<void> {
    for (let t = 0; t < ms; t += step) {
      mock.timers.tick(step);
      await new Promise((r) => setImmediate(r));
    }
  }

  /** stop() waits for the probe in flight, whose fake time must keep moving meanwhile. */
  async function stopUnderMockTimers(monitor: HealthMonitor): Promise<void> {
    const stopped = monitor.stop();
    await advance(5000);
    await stopped;
  }

  function scheduled(
    probeMs: number,
    randoms: number[],
  ): { monitor: HealthMonitor; starts: number[]; startsOf: Map<string, number[]>; maxConcurrent: () => number } {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: T0 });
    const starts: number[] = [];
    const startsOf = new Map<string, number[]>();
    let running = 0;
    let peak = 0;
    const probe = async ({ url }: ProbeTarget): Promise<ProbeResult> => {
      starts.push(Date.now());
      startsOf.set(url, [...(startsOf.get(url) ?? []), Date.now()]);
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, probeMs));
      running--;
      return { ...OK, at: Date.now() };
    };
    let i = 0;
    const random = (): number => randoms[i++ % randoms.length] ?? 0;
    const events: MonitorEvents = { onResult: () => undefined, onTransition: () => undefined };
    // Mock timers move Date, not performance.now(): the monotonic clock follows the mocked one.
    const clock = { ...realClock, monotonic: () => Date.now() };
    const monitor = new HealthMonitor({ settings: { ...FAST, intervalMs: 1000 }, events, probe, random, clock });
    return { monitor, starts, startsOf, maxConcurrent: () => peak };
  }

  it('probes a new target at once, then every interval minus up to 20 % jitter, measured from the previous start', async () => {
    const { monitor, starts } = scheduled(5, [0.999, 0, 0.5, 0.999, 0.25]);
    const settings = { ...FAST, intervalMs: 1000 };
    monitor.setTargets([target('http://127.0.0.1:1')], settings);
    await advance(10_000);
    await stopUnderMockTimers(monitor);
    // advance() moves in 10 ms steps: "at once" is the first of them (a random spread was up to 50 ms).
    assert.ok((starts[0] ?? Infinity) - T0 <= 10, `first probe after ${(starts[0] ?? 0) - T0}ms`);
    const gaps = starts.slice(1).map((s, i) => s - (starts[i] ?? 0));
    assert.ok(gaps.length >= 9);
    for (const gap of gaps) assert.ok(gap >= 1000 * (1 - JITTER_FRACTION) && gap <= 1000, `gap ${gap}ms`);
    assert.ok(new Set(gaps).size > 1, `jittered, not constant: ${gaps.join(',')}`);
  });

  it("one agent's endpoints converge on one wake-up per round, each still 80-100 % of the interval after its last", async () => {
    const { monitor, startsOf } = scheduled(5, [0.9, 0.1, 0.7, 0.3, 0.5, 0.05, 0.95, 0.2, 0.6, 0.4, 0.8]);
    const settings = { ...FAST, intervalMs: 1000 };
    const urls = Array.from({ length: 5 }, (_, i) => `http://127.0.0.1:${i + 1}`);
    monitor.setTargets([target(urls[0] ?? '')], settings);
    await advance(2500);
    // Added mid-interval, out of step with the first: they join its rounds.
    monitor.setTargets(
      urls.map((u) => target(u)),
      settings,
    );
    await advance(12_000);
    await stopUnderMockTimers(monitor);
    const lastRounds = urls.map((u) => (startsOf.get(u) ?? []).slice(-4));
    for (const rounds of lastRounds) assert.deepEqual(rounds, lastRounds[0], `rounds per endpoint: ${JSON.stringify(lastRounds)}`);
    for (const url of urls) {
      const own = (startsOf.get(url) ?? []).filter((t) => t > T0 + 4000);
      const gaps = own.slice(1).map((s, i) => s - (own[i] ?? 0));
      for (const gap of gaps) assert.ok(gap >= 1000 * (1 - JITTER_FRACTION) && gap <= 1000, `${url}: gap ${gap}ms`);
    }
  });

  it('settles an unknown endpoint quickly: the thresholds are met UNKNOWN_PROBE_GAP_MS apart, then the interval applies', async () => {
    const { monitor, starts } = scheduled(5, [0.5]);
    monitor.setTargets([target('http://127.0.0.1:1')], { ...FAST, intervalMs: 1000, successThreshold: 3 });
    await advance(3000, 5);
    assert.equal(monitor.view().get('http://127.0.0.1:1'), 'up');
    await stopUnderMockTimers(monitor);
    const gaps = starts.slice(1).map((s, i) => s - (starts[i] ?? 0));
    assert.deepEqual(gaps.slice(0, 2), [UNKNOWN_PROBE_GAP_MS, UNKNOWN_PROBE_GAP_MS], `gaps while unknown: ${gaps.join(',')}`);
    assert.ok(
      gaps.slice(2).every((gap) => gap >= 1000 * (1 - JITTER_FRACTION)),
      `gaps once up: ${gaps.join(',')}`,
    );
  });

  it('one request at a time per endpoint: a probe outlasting the interval, duplicate URLs, repeated setTargets', async () => {
    const { monitor, starts, maxConcurrent } = scheduled(2500, [0.5]);
    const settings = { ...FAST, intervalMs: 1000 };
    const targets = [target('http://127.0.0.1:1'), target('http://127.0.0.1:1')];
    // Config reloads re-send the same targets, here while probes are in flight.
    for (let i = 0; i < 20; i++) {
      monitor.setTargets(targets, settings);
      await advance(500);
    }
    await stopUnderMockTimers(monitor);
    assert.equal(maxConcurrent(), 1);
    const gaps = starts.slice(1).map((s, i) => s - (starts[i] ?? 0));
    for (const gap of gaps) assert.ok(gap >= 2500, `next probe ${gap}ms after the previous start, before it finished`);
  });

  it('a shorter interval takes effect at once for a waiting endpoint', async () => {
    const { monitor, starts } = scheduled(5, [0]);
    monitor.setTargets([target('http://127.0.0.1:1')], { ...FAST, intervalMs: 60_000 });
    await advance(1000);
    assert.equal(starts.length, 1);
    monitor.setTargets([target('http://127.0.0.1:1')], { ...FAST, intervalMs: 1000 });
    await advance(1500);
    await stopUnderMockTimers(monitor);
    assert.equal(starts.length, 2);
  });

  it('lastProgressAt follows completed probes, and is now when there is nothing to probe', async () => {
    const { monitor } = scheduled(5, [0]);
    assert.equal(monitor.lastProgressAt(), Date.now());
    await advance(5000);
    assert.equal(monitor.lastProgressAt(), Date.now(), 'idle is not stalled');
    monitor.setTargets([target('http://127.0.0.1:1')], { ...FAST, intervalMs: 1000 });
    await advance(2500);
    const progress = monitor.lastProgressAt();
    assert.ok(progress > T0 + 5000 && progress <= Date.now());
    await stopUnderMockTimers(monitor);
  });
});

describe('HealthMonitor on the monotonic clock', () => {
  /** Moves the manual clock in small steps, letting the probes' promises settle in between. */
  async function advance(clock: ManualClock, ms: number, step = 10): Promise<void> {
    for (let t = 0; t < ms; t += step) {
      clock.advance(step);
      await new Promise((r) => setImmediate(r));
    }
  }

  it('a wall clock stepped back 1 h during a probe does not delay failover: the dead mirror is down on schedule', async () => {
    const clock = new ManualClock();
    const url = 'http://127.0.0.1:1';
    let alive = true;
    let stepped = false;
    const probe = async (): Promise<ProbeResult> => {
      await Promise.resolve();
      if (!alive && !stepped) {
        clock.stepWall(-3_600_000);
        stepped = true;
      }
      return { ok: alive, durationMs: 0, at: clock.now(), ...(alive ? { status: 200 } : { error: 'connect ECONNREFUSED' }) };
    };
    const events = new Recorder();
    const settings = { ...FAST, intervalMs: 1000 };
    const monitor = new HealthMonitor({ settings, events, probe, clock, random: () => 0.5 });
    monitor.setTargets([target(url)], settings);
    await advance(clock, 500);
    assert.equal(monitor.view().get(url), 'up');

    alive = false;
    // failureThreshold probes at most one interval apart, each within its timeout.
    await advance(clock, settings.failureThreshold * settings.intervalMs + settings.timeoutMs);
    assert.ok(stepped, 'the wall clock was stepped during a probe');
    assert.equal(monitor.view().get(url), 'down', 'the dead mirror was not dropped on schedule');
    const stopped = monitor.stop();
    await advance(clock, 100);
    await stopped;
  });
});
