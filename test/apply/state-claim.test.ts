// One writer per state dir: a running agent makes apply, restore and a second agent refuse; a claim left by
// a dead process is taken over.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLAIM_FILE } from '../../src/apply/state-claim.js';
import { startAgentProcess } from '../helpers/agent-process.js';
import { cli, ensureBuilt } from '../helpers/built-cli.js';

describe('state dir claim', () => {
  it('refuses a second writer while the agent runs, and takes over a dead one', async (t) => {
    ensureBuilt();
    const root = await mkdtemp(join(tmpdir(), 'cma-claim-'));
    t.after(() => rm(root, { recursive: true, force: true }));
    const config = join(root, 'c.yaml');
    const state = join(root, 'state');
    await writeFile(config, `hostsDir: ${join(root, 'certs.d')}\nregistries:\n  quay.io:\n    mirrors: [{url: "http://127.0.0.1:1", probe: false}]\n`);
    const common = ['--config', config, '--state-dir', state, '--containerd-config', 'none'];

    const agent = await startAgentProcess(common);
    for (const command of [['apply', ...common], ['restore', '--state-dir', state, '--hosts-dir', join(root, 'certs.d'), '--containerd-config', 'none'], ['run', ...common, '--listen', '127.0.0.1:0']]) {
      const result = await cli(command);
      assert.equal(result.code, 1, `${command[0]}: ${result.stderr}`);
      assert.match(result.stderr, new RegExp(`${state}: in use by containerd-mirror-agent run \\(pid ${agent.child.pid}\\).*\\[CMA_STATE_BUSY\\]`));
    }
    assert.equal(await agent.stop(), 0);

    await mkdir(state, { recursive: true });
    await writeFile(join(state, CLAIM_FILE), '2147483646 containerd-mirror-agent run\n');
    const applied = await cli(['apply', ...common]);
    assert.equal(applied.code, 0, `a claim by a pid that does not exist is stale: ${applied.stderr}`);
  });
});
