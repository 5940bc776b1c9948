// The reconcile loop in process, for orderings a child process cannot time.
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Reconciler, type ReconcilerEvents, type ReconcilerOptions } from '../../src/daemon/reconciler.js';
import { HealthMonitor } from '../../src/health/monitor.js';
import { DEFAULT_PROBE } from '../../src/config/native-schema.js';
import { buildStatus } from '../../src/daemon/status-view.js';
import { tempDir } from '../helpers/temp-dir.js';
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
};

/** A reconciler wired to its own probe loop, as the daemon wires them; the loop is stopped after the test. */
function reconciler(t: TestContext, options: Omit<ReconcilerOptions, 'monitor'>, events: ReconcilerEvents): Reconciler {
  const monitor: HealthMonitor = new HealthMonitor({
    settings: DEFAULT_PROBE,
    events: {
      onResult: () => undefined,
      onTransition: (url, from, to, health) => agent.mirrorChanged(url, from, to, health),
      onResolved: (url, resolution) => agent.mirrorResolved(url, resolution),
    },
  });
  const agent = new Reconciler({ ...options, monitor }, events);
  t.after(() => monitor.stop());
  return agent;
}

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
    const agent = reconciler(t, { sources: [join(root, 'c.yaml')], stateDir: join(root, 'state'), facts: {}, logger: quiet() }, noEvents);
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

  it('keeps the last good config when an edit passes a limit, and tells the watchdog when each reload starts and ends', async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'cma-agent-'));
    t.after(() => rm(root, { recursive: true, force: true }));
    const hostsDir = join(root, 'certs.d');
    const config = join(root, 'c.json');
    await writeFile(config, JSON.stringify({ hostsDir, registries: { 'r.io': {} } }));
    const reloads: string[] = [];
    const rejected: string[][] = [];
    const events: ReconcilerEvents = {
      ...noEvents,
      configRejected: (codes) => rejected.push(codes),
      reloadStarted: () => reloads.push('started'),
      reloadEnded: () => reloads.push('ended'),
    };
    const agent = reconciler(t, { sources: [config], stateDir: join(root, 'state'), facts: {}, logger: quiet() }, events);
    t.after(() => agent.stop());
    await agent.start();
    const before = agent.snapshot().configHash;
    // Issue 10, defect 3: 200 KB nested 100 000 levels; parsed, it exhausted the 64 MB heap.
    await writeFile(config, `${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    await agent.requestReload();
    assert.deepEqual(rejected, [['CMA_CONFIG_LIMIT']]);
    assert.equal(agent.snapshot().configHash, before);
    assert.deepEqual(
      agent.snapshot().config?.registries.map((r) => r.name),
      ['r.io'],
    );
    assert.deepEqual(reloads, ['started', 'ended', 'started', 'ended']);
  });

  it(
    'a FIFO named as credentials is refused at once, and the fixed config loads at the next reload (issue 10, defect 7)',
    { timeout: 20_000 },
    async (t) => {
      const root = await mkdtemp(join(tmpdir(), 'cma-agent-'));
      t.after(() => rm(root, { recursive: true, force: true }));
      const hostsDir = join(root, 'certs.d');
      const config = join(root, 'c.yaml');
      execFileSync('mkfifo', [join(root, 'pipe')]);
      await writeFile(config, `hostsDir: ${hostsDir}\ncredentials: [${join(root, 'pipe')}]\nregistries:\n  r.io: {}\n`);
      const rejected: string[][] = [];
      const agent = reconciler(
        t,
        { sources: [config], stateDir: join(root, 'state'), facts: {}, logger: quiet() },
        { ...noEvents, configRejected: (codes) => rejected.push(codes) },
      );
      t.after(() => agent.stop());
      // On the old loader this never settled: open(2) of a FIFO blocks until a writer comes.
      await agent.start();
      assert.deepEqual(rejected, [['CMA_CONFIG_FILE_REF']]);
      assert.equal(agent.snapshot().config, undefined);
      await writeFile(config, `hostsDir: ${hostsDir}\nregistries:\n  r.io: {}\n`);
      await agent.requestReload();
      assert.deepEqual(
        agent.snapshot().config?.registries.map((r) => r.name),
        ['r.io'],
      );
    },
  );

  it('warns once per registry that sends a credential (here from a .dockerconfigjson) over plain http, and status shows it', async (t) => {
    const root = await tempDir(t, 'agent');
    const hostsDir = join(root, 'certs.d');
    const password = 'clear-Secret-2468';
    await mkdir(join(root, 'pull-secret'));
    await writeFile(
      join(root, 'pull-secret', '.dockerconfigjson'),
      JSON.stringify({ auths: { '127.0.0.1:7': { auth: Buffer.from(`u:${password}`).toString('base64') } } }),
    );
    const base = `hostsDir: ${hostsDir}\ncredentials: [${join(root, 'pull-secret')}]\nregistries:\n  docker.io:\n    mirrors: [{url: "http://127.0.0.1:7", probe: false}]\n`;
    await writeFile(join(root, 'c.yaml'), base);
    let log = '';
    const logger = createLogger({
      destination: new Writable({ write: (chunk: Buffer, _enc, done) => ((log += chunk.toString()), done()) }),
      env: {},
    });
    const agent = reconciler(t, { sources: [join(root, 'c.yaml')], stateDir: join(root, 'state'), facts: {}, logger }, noEvents);
    await agent.start();
    t.after(() => agent.stop());
    const warnings = (): string[] => log.split('\n').filter((l) => l.includes('"event":"credential_in_clear"'));
    await waitUntil('the warning', () => (warnings().length > 0 ? true : undefined));

    // A later config that still has it: not logged again.
    const hash = agent.snapshot().configHash;
    await writeFile(join(root, 'c.yaml'), `${base}  ghcr.io: {}\n`);
    await agent.requestReload();
    await waitUntil('the new config', () => (agent.snapshot().configHash !== hash ? true : undefined));
    assert.equal(warnings().length, 1, log);
    assert.match(warnings()[0]!, /docker\.io: the credential for http:\/\/127\.0\.0\.1:7 is sent in clear over plain http/);
    assert.ok(!log.includes(password));
    const status = buildStatus(agent.snapshot(), new Map(), { restartPending: false });
    assert.deepEqual(
      status.warnings.map((w) => w.split(':')[0]),
      ['docker.io'],
    );
  });
});
