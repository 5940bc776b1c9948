import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { captureLog } from '../helpers/log-capture.js';
import { createNotifier } from '../../src/observe/sd-notify.js';
import { openNotifySocket, python3Missing, type NotifySocket } from './notify-socket.js';

const PID = 4242;

async function realSocket(t: TestContext): Promise<NotifySocket | undefined> {
  const missing = python3Missing();
  if (missing !== undefined) {
    t.skip(missing);
    return undefined;
  }
  const socket = await openNotifySocket();
  t.after(() => socket.close());
  return socket;
}

function withoutMainPid(messages: string[][]): string[][] {
  return messages.map((m) => m.filter((a) => a !== `MAINPID=${PID}`));
}

describe('sd-notify', () => {
  it('is a no-op without NOTIFY_SOCKET', async () => {
    const n = createNotifier({}, { binary: '/nonexistent/systemd-notify' });
    assert.equal(n.enabled, false);
    assert.equal(n.watchdogIntervalMs, undefined);
    await n.ready('x');
    await n.status('y');
    await n.watchdog();
    await n.stopping();
  });

  it('sends READY=1, STATUS=, WATCHDOG=1 and STOPPING=1 to a real socket, in call order', async (t) => {
    const socket = await realSocket(t);
    if (socket === undefined) return;
    const n = createNotifier({ NOTIFY_SOCKET: socket.path, PATH: process.env.PATH }, { pid: PID });
    assert.equal(n.enabled, true);
    // Not awaited one by one: the notifier itself must keep them in order.
    const calls = [
      n.ready('1 registry: docker.io upstream-only (cache:5000 unknown 0s)'),
      n.status('1 registry: docker.io upstream-only (cache:5000 unknown 0s)'),
      n.status('1 registry: docker.io mirror'),
      n.watchdog(),
      n.stopping(),
    ];
    await Promise.all(calls);
    const messages = await socket.waitFor(4);
    assert.ok(
      messages.every((m) => m.includes(`MAINPID=${PID}`)),
      JSON.stringify(messages),
    );
    assert.deepEqual(withoutMainPid(messages), [
      ['READY=1', 'STATUS=1 registry: docker.io upstream-only (cache:5000 unknown 0s)'],
      ['STATUS=1 registry: docker.io mirror'],
      ['WATCHDOG=1'],
      ['STOPPING=1'],
    ]);
  });

  it('runs one systemd-notify at a time, in call order', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'cma-notify-bin-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    // Stands in for systemd-notify: records its arguments, and "overlap" when another copy is still running.
    const binary = join(dir, 'slow-notify');
    writeFileSync(
      binary,
      '#!/bin/sh\nmkdir "$LOCK" 2>/dev/null || echo overlap >> "$LOG"\necho "$*" >> "$LOG"\nsleep 0.2\nrmdir "$LOCK"\n',
      { mode: 0o755 },
    );
    const env = { NOTIFY_SOCKET: '/run/notify', LOCK: join(dir, 'lock'), LOG: join(dir, 'log'), PATH: process.env.PATH };
    const n = createNotifier(env, { binary, pid: PID });
    await Promise.all([n.ready('a'), n.status('b'), n.watchdog(), n.stopping()]);
    assert.deepEqual(readFileSync(env.LOG, 'utf8').trim().split('\n'), [
      `--pid=${PID} READY=1 STATUS=a`,
      `--pid=${PID} STATUS=b`,
      `--pid=${PID} WATCHDOG=1`,
      `--pid=${PID} STOPPING=1`,
    ]);
  });

  it('sends no STATUS before READY=1: READY=1 carries the line, one child instead of one per line', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'cma-notify-bin-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const binary = join(dir, 'record-notify');
    writeFileSync(binary, '#!/bin/sh\necho "$*" >> "$LOG"\n', { mode: 0o755 });
    const env = { NOTIFY_SOCKET: '/run/notify', LOG: join(dir, 'log'), PATH: process.env.PATH };
    const n = createNotifier(env, { binary, pid: PID });
    await n.status('loading');
    await n.status('settling');
    await n.ready('ready');
    await n.status('ready');
    await n.status('degraded');
    assert.deepEqual(readFileSync(env.LOG, 'utf8').trim().split('\n'), [
      `--pid=${PID} READY=1 STATUS=ready`,
      `--pid=${PID} STATUS=degraded`,
    ]);
  });

  it('cannot be made to forge an assignment through a newline in a status', async (t) => {
    const socket = await realSocket(t);
    if (socket === undefined) return;
    const n = createNotifier({ NOTIFY_SOCKET: socket.path, PATH: process.env.PATH }, { pid: PID });
    await n.ready('starting\nSTOPPING=1');
    await n.status('config rejected: bad\nREADY=1\nMAINPID=1');
    assert.deepEqual(withoutMainPid(await socket.waitFor(2)), [
      ['READY=1', 'STATUS=starting STOPPING=1'],
      ['STATUS=config rejected: bad READY=1 MAINPID=1'],
    ]);
  });

  it('never throws when systemd-notify fails, and warns once', async () => {
    const log = captureLog();
    const n = createNotifier({ NOTIFY_SOCKET: '/nonexistent/notify.sock' }, { binary: '/nonexistent/systemd-notify', logger: log.logger });
    await n.ready('a');
    await n.watchdog();
    await n.status('b');
    const warnings = log.entries().filter((l) => l.level === 'warn');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!.msg, /systemd-notify READY=1 STATUS=a failed: .*ENOENT/);
  });

  it('does not warn when the STOPPING=1 helper is killed by the stop it reports (systemd signals the whole cgroup)', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'cma-notify-bin-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const binary = join(dir, 'killed-notify');
    writeFileSync(binary, '#!/bin/sh\nkill -TERM $$\n', { mode: 0o755 });
    const log = captureLog({ level: 'debug' });
    const n = createNotifier({ NOTIFY_SOCKET: '/run/notify' }, { binary, pid: PID, logger: log.logger });
    await n.stopping();
    const lines = log.entries();
    assert.deepEqual(
      lines.filter((l) => l.level !== 'debug'),
      [],
    );
    assert.match(lines.map((l) => l.msg).join('\n'), /systemd-notify STOPPING=1 failed/);
  });

  it('pings the watchdog at half WATCHDOG_USEC, only when WATCHDOG_PID is ours or unset', () => {
    const socket = { NOTIFY_SOCKET: '/run/notify' };
    assert.equal(createNotifier({ ...socket, WATCHDOG_USEC: '30000000' }, { pid: PID }).watchdogIntervalMs, 15_000);
    assert.equal(
      createNotifier({ ...socket, WATCHDOG_USEC: '30000000', WATCHDOG_PID: String(PID) }, { pid: PID }).watchdogIntervalMs,
      15_000,
    );
    assert.equal(createNotifier({ ...socket, WATCHDOG_USEC: '30000000', WATCHDOG_PID: '1' }, { pid: PID }).watchdogIntervalMs, undefined);
    assert.equal(createNotifier({ ...socket, WATCHDOG_USEC: 'x' }, { pid: PID }).watchdogIntervalMs, undefined);
    assert.equal(createNotifier({ ...socket }, { pid: PID }).watchdogIntervalMs, undefined);
    assert.equal(createNotifier({ WATCHDOG_USEC: '30000000' }, { pid: PID }).watchdogIntervalMs, undefined);
  });
});
