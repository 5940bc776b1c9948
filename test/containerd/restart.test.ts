import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { planContainerdConfig } from '../../src/containerd/config-toml.js';
import { RETRY_FLOOR_MS, RestartPolicy, type RestartPolicyOptions } from '../../src/containerd/restart.js';
import { readRestartState, restartStatePath, writeRestartState } from '../../src/containerd/restart-state.js';
import type { Credential } from '../../src/model.js';
import { ManualClock, fakeRestartCommand, recordingLogger } from './helpers.js';

const SECRET = 'hunter2-secret-pw';
const auths = (password: string) => new Map<string, Credential>([['registry-1.docker.io', { kind: 'basic', username: 'u', password }]]);
const original = await readFile(new URL('./fixtures/default-1.6.20.toml', import.meta.url), 'utf8');

function plan(current: string, password = SECRET) {
  return planContainerdConfig({
    path: '/etc/containerd/config.toml',
    current,
    hostsDir: '/etc/containerd/certs.d',
    auths: auths(password),
    facts: {},
  });
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setup(over: Partial<RestartPolicyOptions> = {}, failFirst = 0) {
  const cmd = await fakeRestartCommand(failFirst);
  cleanups.push(() => cmd.cleanup());
  const clock = new ManualClock();
  const logger = recordingLogger();
  const policy = new RestartPolicy({
    command: cmd.argv,
    noRestart: false,
    logger,
    clock,
    minIntervalMs: 30_000,
    persist: (s) => writeRestartState(cmd.dir, s),
    ...over,
  });
  cleanups.push(() => Promise.resolve(policy.stop()));
  /** Lets time pass and waits for whatever restart it started. */
  const tick = async (ms: number) => {
    clock.advance(ms);
    await policy.settled();
  };
  return { cmd, clock, logger, policy, tick };
}

describe('RestartPolicy', () => {
  it('100 mirror flips (re-plans with the same auth) restart nothing', async () => {
    const { cmd, policy, tick } = await setup();
    const onDisk = plan(original).content;
    policy.start(onDisk);
    let current = onDisk;
    for (let i = 0; i < 100; i++) {
      const p = plan(current);
      assert.equal(p.changed, false);
      current = p.content;
      policy.configWritten(current, `flip ${i}`);
      await tick(31_000);
    }
    assert.equal(await cmd.calls(), 0);
    assert.equal(policy.state().restartPending, false);
  });

  it('one auth change restarts exactly once, and its reason is logged without the password', async () => {
    const { cmd, policy, tick, logger } = await setup();
    const before = plan(original).content;
    policy.start(before);
    const after = plan(before, 'rotated-' + SECRET);
    assert.deepEqual(after.changes, ['auth changed for registry-1.docker.io']);
    policy.configWritten(after.content, after.changes.join(', '));
    assert.equal(policy.state().restartPending, true);
    await tick(0);
    assert.equal(await cmd.calls(), 1);
    for (let i = 0; i < 10; i++) {
      policy.configWritten(after.content, 'same bytes again');
      await tick(60_000);
    }
    assert.equal(await cmd.calls(), 1);
    const state = policy.state();
    assert.equal(state.restartPending, false);
    assert.ok(state.lastRestartAt);
    assert.ok(logger.lines.some((l) => l.msg.includes('auth changed for registry-1.docker.io')));
    assert.ok(!logger.text().includes(SECRET));
  });

  it('coalesces changes within the minimum interval into one later restart', async () => {
    const { cmd, policy, tick } = await setup();
    policy.start('version = 2\n');
    policy.configWritten('version = 2\n# a\n', 'a');
    await tick(0);
    policy.configWritten('version = 2\n# b\n', 'b');
    await tick(1_000);
    policy.configWritten('version = 2\n# c\n', 'c');
    await tick(1_000);
    assert.equal(await cmd.calls(), 1, 'rate limit: no second restart 2 s after the first');
    assert.equal(policy.state().reason, 'b; c');
    await tick(28_000);
    assert.equal(await cmd.calls(), 2);
    assert.equal(policy.state().restartPending, false);
  });

  it('does not restart when the file changes back before the restart is due', async () => {
    const { cmd, policy, tick } = await setup();
    policy.start('version = 2\n');
    policy.configWritten('version = 2\n# a\n', 'a');
    await tick(0);
    policy.configWritten('version = 2\n# b\n', 'b');
    policy.configWritten('version = 2\n# a\n', 'back');
    await tick(60_000);
    assert.equal(await cmd.calls(), 1);
    assert.equal(policy.state().restartPending, false);
  });

  it('--no-restart never runs the command, records the pending restart and says so loudly', async () => {
    const { cmd, policy, tick, logger } = await setup({ noRestart: true });
    policy.start(original);
    const p = plan(original);
    policy.configWritten(p.content, p.changes.join(', '));
    await tick(3_600_000);
    assert.equal(await cmd.calls(), 0);
    const onDisk = await readRestartState(cmd.dir);
    assert.equal(onDisk?.restartPending, true);
    assert.match(onDisk?.reason ?? '', /config_path set to \/etc\/containerd\/certs\.d/);
    assert.equal((await stat(restartStatePath(cmd.dir))).mode & 0o777, 0o600);
    assert.ok(logger.lines.some((l) => l.level === 'warn' && /--no-restart/.test(l.msg)));
  });

  it('retries a failed restart with back-off and reports CMA_CONTAINERD_RESTART', async () => {
    const { cmd, policy, tick, logger } = await setup({}, 2);
    policy.start('version = 2\n');
    policy.configWritten('version = 2\n# a\n', 'a');
    await tick(0);
    assert.equal(await cmd.calls(), 1);
    assert.match(policy.state().lastError ?? '', /unit containerd\.service failed \[CMA_CONTAINERD_RESTART\]/);
    await tick(29_000);
    assert.equal(await cmd.calls(), 1, 'first retry waits one interval');
    await tick(1_000);
    assert.equal(await cmd.calls(), 2);
    await tick(59_000);
    assert.equal(await cmd.calls(), 2, 'second retry waits twice as long');
    await tick(1_000);
    assert.equal(await cmd.calls(), 3);
    assert.equal(policy.state().restartPending, false);
    assert.equal(policy.state().lastError, undefined);
    assert.equal(logger.lines.filter((l) => l.level === 'error').length, 2);
  });

  it('never retries at once, even with no minimum interval: a command that fails at once cannot spin', async () => {
    const { cmd, policy, tick, logger } = await setup({ minIntervalMs: 0 }, 1_000);
    policy.start('version = 2\n');
    policy.configWritten('version = 2\n# a\n', 'a');
    await tick(0);
    for (let i = 0; i < 50; i++) await tick(0);
    assert.equal(await cmd.calls(), 1, 'no retry before the back-off floor');
    assert.ok(logger.lines.filter((l) => l.level === 'error').every((l) => (l.obj as { retryInMs: number }).retryInMs >= RETRY_FLOOR_MS));
    await tick(RETRY_FLOOR_MS);
    assert.equal(await cmd.calls(), 2);
  });

  it('a one-shot tries a few times, then gives up with the reason', async () => {
    const { cmd, policy, clock } = await setup({ minIntervalMs: 0, attempts: 3 }, 1_000);
    policy.start('version = 2\n');
    policy.configWritten('version = 2\n# a\n', 'a');
    assert.equal(await cmd.calls(), 0, 'a one-shot schedules nothing by itself');
    const finished = policy.finish();
    // Drives the back-off timers by hand until finish() resolves.
    let done = false;
    void finished.then(() => (done = true));
    while (!done) {
      await new Promise((resolve) => setImmediate(resolve));
      clock.advance(RETRY_FLOOR_MS);
    }
    assert.equal(await cmd.calls(), 3);
    assert.equal(policy.state().restartPending, true);
    assert.match(policy.failure ?? '', /failed: .*unit containerd\.service failed$/);
  });

  it('a lastRestartAt from disk in the future counts as now: an owed restart waits one interval, not hours', async () => {
    const first = await setup({ noRestart: true });
    first.policy.start('version = 2\n');
    first.policy.configWritten('version = 2\n# a\n', 'auth added for h');
    await first.policy.settled();
    const owed = await readRestartState(first.cmd.dir);
    assert.ok(owed);
    const { cmd, policy, tick, clock } = await setup();
    const ahead = new Date(clock.now() + 2 * 3600_000).toISOString();
    policy.start('version = 2\n# a\n', { ...owed, lastRestartAt: ahead, pendingSince: ahead });
    assert.ok(Date.parse(policy.state().lastRestartAt ?? '') <= clock.now(), 'shown as now, not in the future');
    await tick(30_000);
    assert.equal(await cmd.calls(), 1);
  });

  it('the minimum interval runs on the monotonic clock: a wall clock stepped back does not hold a restart', async () => {
    const { cmd, policy, tick, clock } = await setup();
    policy.start('version = 2\n');
    policy.configWritten('version = 2\n# a\n', 'a');
    await tick(0);
    assert.equal(await cmd.calls(), 1);
    clock.stepWall(-2 * 3600_000);
    policy.configWritten('version = 2\n# b\n', 'b');
    await tick(30_000);
    assert.equal(await cmd.calls(), 2);
  });

  it('a restart a previous run owed for the same bytes is still owed after an agent restart', async () => {
    const first = await setup({ noRestart: true });
    first.policy.start('version = 2\n');
    first.policy.configWritten('version = 2\n# a\n', 'auth added for h');
    await first.policy.settled();
    const owed = await readRestartState(first.cmd.dir);
    const { cmd, policy, tick } = await setup();
    policy.start('version = 2\n# a\n', owed);
    assert.equal(policy.state().reason, 'auth added for h');
    await tick(0);
    assert.equal(await cmd.calls(), 1);
    // Bytes that differ from what was owed: the operator changed the file, containerd's next start reads it.
    const fresh = await setup();
    fresh.policy.start('version = 2\n# other\n', owed);
    await fresh.tick(60_000);
    assert.equal(await fresh.cmd.calls(), 0);
  });
});
