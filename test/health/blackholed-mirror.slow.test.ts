// A mirror whose address drops packets (a real iptables DROP rule on a loopback address): the probe is down at
// its deadline and leaves no socket behind, and the monitor takes the mirror down within its bound and back up
// once the rule is gone. Split from the in-process probe and monitor suites because it drives iptables; without
// root each case skips and says why.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blackhole, canBlackhole } from '../helpers/blackhole.js';
import { refusedPort, switchableServer } from '../helpers/servers.js';
import { fdCountUnavailable } from './fds.js';
import { FAST, monitorHarness, Recorder, target } from './monitor-recorder.js';
import { assertDownAtDeadline, assertNoLeak, NO_TLS, PROBES, probeWithinDeadline } from './probe-checks.js';

describe('probeOnce of a blackholed address', () => {
  it('a blackholed address is down at the deadline', async (t) => {
    const availability = await canBlackhole();
    if (!availability.ok) return t.skip(availability.reason);
    const port = (await refusedPort({ host: '127.0.0.9' })).port;
    const rule = await blackhole('127.0.0.9', port);
    try {
      const result = await probeWithinDeadline({ url: `http://127.0.0.9:${port}`, tls: NO_TLS });
      assertDownAtDeadline(result, /^connect timeout after 500ms$/);
    } finally {
      await rule.remove();
    }
  });

  it(`${PROBES} probes of a blackholed address leak no file descriptor`, { skip: fdCountUnavailable }, async (t) => {
    const availability = await canBlackhole();
    if (!availability.ok) return t.skip(availability.reason);
    const port = (await refusedPort({ host: '127.0.0.9' })).port;
    const rule = await blackhole('127.0.0.9', port);
    try {
      await assertNoLeak(`http://127.0.0.9:${port}`, NO_TLS, false);
    } finally {
      await rule.remove();
    }
  });
});

describe('HealthMonitor with a blackholed mirror', () => {
  const { monitorFor, closing, cleanups } = monitorHarness();

  it('a blackholed mirror is down within failureThreshold x interval + timeout, and back once the rule is gone', async (t) => {
    const availability = await canBlackhole();
    if (!availability.ok) return t.skip(availability.reason);
    const server = closing(await switchableServer(200, { host: '127.0.0.9' }));
    const events = new Recorder();
    const monitor = monitorFor(events);
    monitor.setTargets([target(server.url)], FAST);
    await events.waitFor('up', () => events.lastTo(server.url) === 'up');

    const rule = await blackhole('127.0.0.9', server.port);
    cleanups.push(() => rule.remove());
    const droppedAt = Date.now();
    await events.waitFor('down', () => events.lastTo(server.url) === 'down');
    const took = (events.transitions.at(-1)?.at ?? Infinity) - droppedAt;
    const bound = FAST.failureThreshold * FAST.intervalMs + FAST.timeoutMs;
    assert.ok(took < bound + 2000, `down after ${took}ms; bound ${bound}ms plus 2 s of scheduling slack`);
    assert.match(events.results.at(-1)?.result.error ?? '', /^connect timeout after 300ms$/);

    await rule.remove();
    await events.waitFor('up again', () => events.lastTo(server.url) === 'up');
  });
});
