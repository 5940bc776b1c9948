import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { captureLog } from '../helpers/log-capture.js';
import { createNotifier } from '../../src/observe/sd-notify.js';
import { WatchdogGate } from '../../src/observe/watchdog.js';
import { startWatchdogPings } from '../../src/observe/watchdog-pings.js';
import { openNotifySocket, python3Missing } from './notify-socket.js';
import { realClock } from '../../src/clock.js';

describe('watchdog pings to a real NOTIFY_SOCKET (invariant 8)', () => {
  it('pings while both loops progress, stops while one is stale, resumes after', async (t) => {
    const missing = python3Missing();
    if (missing !== undefined) return t.skip(missing);
    const socket = await openNotifySocket();
    t.after(() => socket.close());
    const log = captureLog();

    let now = 0;
    const gate = new WatchdogGate({ reconcileMs: 1_000, probeMs: 1_000 }, { ...realClock, monotonic: () => now });
    // WATCHDOG_USEC 100 ms: a ping every 50 ms.
    const notifier = createNotifier({ NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: '100000', PATH: process.env.PATH });
    const stop = startWatchdogPings(notifier, gate, log.logger);
    t.after(stop);

    await socket.waitFor(2);
    now = 5_000;
    gate.reconcileProgress(); // the probe loop stays silent: stale
    // Let a ping already in flight land: wait until the count stops moving.
    let before = -1;
    for (let i = 0; i < 20 && before !== socket.messages().length; i++) {
      before = socket.messages().length;
      await sleep(150);
    }
    await sleep(400);
    assert.equal(socket.messages().length, before, 'no WATCHDOG=1 while the probe loop is stale');
    assert.match(log.lines().join('\n'), /probe loop made no progress for 5s \(deadline 1s\); withholding systemd watchdog pings/);

    gate.probeProgress();
    await socket.waitFor(before + 2);
    assert.ok(socket.messages().every((m) => m.includes('WATCHDOG=1')));
    assert.match(log.lines().join('\n'), /pings resumed/);
  });

  it('runs nothing when systemd set no watchdog', async () => {
    const log = captureLog();
    // Any call would run the missing binary and log a warning.
    const notifier = createNotifier({ NOTIFY_SOCKET: '/run/x' }, { binary: '/nonexistent', logger: log.logger });
    const stop = startWatchdogPings(notifier, new WatchdogGate({ reconcileMs: 1_000, probeMs: 1_000 }));
    // The one call made here (STOPPING=1 would fail at debug only: sd-notify.ts says why).
    await notifier.ready('x');
    stop();
    assert.equal(log.lines().length, 1);
    assert.match(log.lines()[0]!, /systemd-notify READY=1 STATUS=x failed/);
  });
});
