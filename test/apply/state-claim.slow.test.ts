// One writer per state dir: a running agent makes apply, restore and a second agent refuse; a claim left by
// a dead process is taken over, also when its pid now names another live process (a reboot, pid reuse), and
// a running agent whose state dir is deleted claims it again before its next write.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { TestContext } from 'node:test';
import { join } from 'node:path';
import { CLAIM_FILE } from '../../src/apply/state-claim.js';
import { startAgentProcess } from '../helpers/agent-process.js';
import { BIN, cli, ensureBuilt } from '../helpers/built-cli.js';
import { onTestEnd, tempDir } from '../helpers/temp-dir.js';

async function setup(t: TestContext) {
  ensureBuilt();
  const root = await tempDir(t, 'claim');
  const config = join(root, 'c.yaml');
  const state = join(root, 'state');
  const hostsDir = join(root, 'certs.d');
  await writeFile(config, `hostsDir: ${hostsDir}\nregistries:\n  quay.io:\n    mirrors: [{url: "http://127.0.0.1:1", probe: false}]\n`);
  return { root, config, state, hostsDir, common: ['--config', config, '--state-dir', state, '--containerd-config', 'none'] };
}

const busy = (state: string, pid: number | undefined) =>
  new RegExp(`${state}: in use by containerd-mirror-agent run \\(pid ${pid}\\).*\\[CMA_STATE_BUSY\\]`);

/** /proc/PID/stat field 22, the start time the claim records. */
async function startTimeOf(pid: number): Promise<string> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
}

describe('state dir claim', () => {
  it('refuses a second writer while the agent runs, and takes over a dead one', async (t) => {
    const { config, state, hostsDir, common } = await setup(t);
    const agent = await startAgentProcess(common);
    for (const command of [
      ['apply', ...common],
      ['restore', '--state-dir', state, '--hosts-dir', hostsDir, '--containerd-config', 'none'],
      ['run', ...common, '--listen', '127.0.0.1:0'],
    ]) {
      const result = await cli(command);
      assert.equal(result.code, 1, `${command[0]}: ${result.stderr}`);
      assert.match(result.stderr, busy(state, agent.child.pid));
    }
    assert.equal(await agent.stop(), 0);
    assert.ok(config);

    await mkdir(state, { recursive: true });
    await writeFile(join(state, CLAIM_FILE), '2147483646 containerd-mirror-agent run\n');
    const applied = await cli(['apply', ...common]);
    assert.equal(applied.code, 0, `a claim by a pid that does not exist is stale: ${applied.stderr}`);
  });

  it('a claim whose pid now names another live process (pid reuse, reboot) is stale; the real holder is honoured', async (t) => {
    const { state, common } = await setup(t);
    const other = spawn('sleep', ['1000'], { stdio: 'ignore' });
    t.after(async () => {
      other.kill();
      await once(other, 'exit').catch(() => undefined);
    });
    const pid = other.pid ?? 0;
    const bootId = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
    const start = await startTimeOf(pid);
    const wrongStart = String(Number(start) + 1);
    await mkdir(state, { recursive: true });
    for (const [what, line] of [
      ['another start time', `${pid} ${wrongStart} ${bootId} containerd-mirror-agent run\n`],
      ['another boot', `${pid} ${start} 00000000-0000-4000-8000-000000000000 containerd-mirror-agent run\n`],
    ] as const) {
      await writeFile(join(state, CLAIM_FILE), line);
      const applied = await cli(['apply', ...common]);
      assert.equal(applied.code, 0, `${what}: ${applied.stderr}`);
    }
    await writeFile(join(state, CLAIM_FILE), `${pid} ${start} ${bootId} containerd-mirror-agent run\n`);
    const refused = await cli(['apply', ...common]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, busy(state, pid));
  });

  it('after a kill -9 in one PID namespace, an agent in a fresh one is not blocked by a pid that now names `sleep`', async (t) => {
    const { state, common } = await setup(t);
    const run = (script: string): Promise<{ code: number; stderr: string }> =>
      new Promise((resolve) =>
        execFile('unshare', ['--pid', '--fork', '--mount-proc', 'sh', '-c', script, 'sh', BIN, ...common], (err, _stdout, stderr) =>
          resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stderr }),
        ),
      );
    // Namespace 1: the agent is pid 2 (sh is pid 1); it is killed with -9 once it holds the claim.
    const first = await run(`bin=$1; shift; "$bin" run --listen 127.0.0.1:0 "$@" >/dev/null 2>&1 & agent=$!
      while [ ! -s "${state}/${CLAIM_FILE}" ]; do sleep 0.05; done; kill -9 $agent; wait $agent; true`);
    assert.equal(first.code, 0, first.stderr);
    assert.match(await readFile(join(state, CLAIM_FILE), 'utf8'), /^2 /, 'the killed agent was pid 2 and left its claim');
    // Namespace 2 (the reboot): pid 2 is `sleep`, the agent's apply is pid 3.
    const second = await run(`bin=$1; shift; sleep 1000 & s=$!; "$bin" apply "$@"; r=$?; kill $s; exit $r`);
    assert.equal(second.code, 0, `the stale claim must be taken over: ${second.stderr}`);
  });

  it('a running agent whose state dir is deleted claims it again before writing, so a second writer is refused', async (t) => {
    const { config, state, common } = await setup(t);
    const agent = await startAgentProcess(common);
    onTestEnd(t, () => agent.stop());
    await agent.waitForStatus('first apply', (s) => s.lastApply !== undefined);
    await rm(state, { recursive: true, force: true });
    await writeFile(config, `${await readFile(config, 'utf8')}  ghcr.io:\n    mirrors: [{url: "http://127.0.0.1:2", probe: false}]\n`);
    await agent.waitForStatus(
      'the new registry applied',
      (s) =>
        s.registries.some((r) => r.name === 'ghcr.io') &&
        s.lastApply !== undefined &&
        Date.parse(s.lastApply.at) >= Date.parse(s.config.loadedAt ?? ''),
    );
    const result = await cli(['apply', ...common]);
    assert.equal(result.code, 1, `a second writer got in: ${result.stdout}${result.stderr}`);
    assert.match(result.stderr, busy(state, agent.child.pid));
  });
});
