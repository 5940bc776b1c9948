// The reconcile loop in process, for orderings a child process cannot time.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Reconciler, type ReconcilerEvents } from '../../src/daemon/reconciler.js';
import { createLogger } from '../../src/observe/logger.js';
import { httpServer } from '../helpers/servers.js';
import { waitUntil } from '../helpers/agent-process.js';

const quiet = () => createLogger({ destination: new Writable({ write: (_chunk, _enc, done) => done() }), env: {} });
const noEvents: ReconcilerEvents = {
  changed: () => undefined,
  configRejected: () => undefined,
  applied: () => undefined,
  reconciled: () => undefined,
  modeChanged: () => undefined,
  probed: () => undefined,
};

describe('Reconciler', () => {
  it('writes nothing on the way down: reconciles queued at stop() do not render from an emptied health view', async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'cma-agent-'));
    const mirror = await httpServer(200);
    t.after(async () => {
      await mirror.close();
      await rm(root, { recursive: true, force: true });
    });
    const hostsDir = join(root, 'certs.d');
    await writeFile(join(root, 'c.yaml'), `hostsDir: ${hostsDir}\nregistries:\n  docker.io:\n    mirrors: [{url: "${mirror.url}"}]\n`);
    const agent = new Reconciler({ sources: [join(root, 'c.yaml')], stateDir: join(root, 'state'), facts: {}, logger: quiet() }, noEvents);
    await agent.start();
    const file = join(hostsDir, 'docker.io', 'hosts.toml');
    await waitUntil('the mirror in the file', async () => ((await readFile(file, 'utf8')).includes(mirror.url) ? true : undefined));
    const before = await readFile(file, 'utf8');

    void agent.requestReconcile();
    void agent.requestReconcile();
    void agent.requestReload();
    await agent.stop();
    assert.equal(await readFile(file, 'utf8'), before);
  });
});
