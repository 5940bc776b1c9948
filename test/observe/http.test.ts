import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { answer, isLoopbackAddress, startHttpServer, type HttpServerOptions } from '../../src/observe/http.js';
import { networkInterfaces } from 'node:os';
import { parseListen } from '../../src/observe/listen.js';
import { fetchAgentStatus, statusAddress } from '../../src/observe/status-client.js';
import { createLogger } from '../../src/observe/logger.js';
import { createMetrics } from '../../src/observe/metrics.js';
import type { AgentStatus } from '../../src/observe/status-format.js';
import { agentStatus } from './fixtures.js';

function options(
  overrides: Partial<HttpServerOptions> = {},
): HttpServerOptions & { state: { healthy: boolean; ready: boolean; status: AgentStatus } } {
  const state = { healthy: true, ready: true, status: agentStatus() };
  const metrics = createMetrics({ version: '0.1.0' });
  return {
    state,
    listen: '127.0.0.1:0',
    metrics,
    status: () => state.status,
    healthy: () => state.healthy,
    ready: () => state.ready,
    logger: createLogger({ destination: new PassThrough(), env: {} }),
    ...overrides,
  };
}

async function get(address: string, path: string, method = 'GET'): Promise<{ code: number; type: string | null; body: string }> {
  const res = await fetch(`http://${address}${path}`, { method });
  return { code: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

describe('http server', () => {
  it('serves /healthz, /readyz, /status, /metrics and 404s the rest', async (t) => {
    const o = options();
    o.metrics.observeStatus(o.state.status);
    const server = await startHttpServer(o);
    t.after(() => server.close());
    assert.match(server.address, /^127\.0\.0\.1:\d+$/);
    assert.notEqual(parseListen(server.address).port, 0);

    assert.deepEqual(await get(server.address, '/healthz'), { code: 200, type: 'text/plain; charset=utf-8', body: 'ok\n' });
    assert.equal((await get(server.address, '/readyz')).body, 'ok\n');
    const status = await get(server.address, '/status');
    assert.equal(status.code, 200);
    assert.match(status.type ?? '', /^application\/json/);
    assert.deepEqual(JSON.parse(status.body), o.state.status);
    const metrics = await get(server.address, '/metrics');
    assert.equal(metrics.code, 200);
    assert.match(metrics.type ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(metrics.body, /^containerd_mirror_agent_registry_mode\{registry="docker.io",mode="mirror"\} 1$/m);
    assert.equal((await get(server.address, '/')).code, 404);
    assert.equal((await get(server.address, '/metrics/x')).code, 404);
    assert.equal((await get(server.address, '/status', 'POST')).code, 405);
    const head = await get(server.address, '/healthz', 'HEAD');
    assert.deepEqual([head.code, head.body], [200, '']);
  });

  it('flips /healthz and /readyz with the agent, with a reason in the 503 body', async (t) => {
    const o = options();
    const server = await startHttpServer(o);
    t.after(() => server.close());

    o.state.healthy = false;
    assert.deepEqual(await get(server.address, '/healthz').then((r) => [r.code, r.body]), [
      503,
      'the reconcile or probe loop stopped making progress\n',
    ]);
    o.state.healthy = true;
    assert.equal((await get(server.address, '/healthz')).code, 200);

    o.state.ready = false;
    o.state.status = agentStatus({ config: { files: ['/c.yaml'], lastError: '/c.yaml: registries: expected array [CMA_CONFIG_FIELD]' } });
    assert.deepEqual(await get(server.address, '/readyz').then((r) => [r.code, r.body]), [
      503,
      'not ready: /c.yaml: registries: expected array [CMA_CONFIG_FIELD]\n',
    ]);
    o.state.ready = true;
    const r = await get(server.address, '/readyz');
    assert.equal(r.code, 200);
    assert.match(r.body, /^ok; the last good config stays applied, a newer one was rejected: \/c\.yaml: registries/);
  });

  it('takes a reason from a check', async (t) => {
    const server = await startHttpServer(
      options({ healthy: () => ({ ok: false, reason: 'probe loop made no progress for 45s (deadline 30s)' }) }),
    );
    t.after(() => server.close());
    assert.equal((await get(server.address, '/healthz')).body, 'probe loop made no progress for 45s (deadline 30s)\n');
  });

  it('turns a failing handler into a 500 and keeps serving', async (t) => {
    const o = options({
      status: () => {
        throw new Error('boom');
      },
    });
    const server = await startHttpServer(o);
    t.after(() => server.close());
    assert.equal((await get(server.address, '/status')).code, 500);
    assert.equal((await get(server.address, '/healthz')).code, 200);
  });

  it('is read back by the status client, which names an agent it cannot reach', async (t) => {
    const o = options();
    const server = await startHttpServer(o);
    t.after(() => server.close());
    assert.deepEqual(await fetchAgentStatus(server.address), o.state.status);
    const { port } = parseListen(server.address);
    await server.close();
    await assert.rejects(fetchAgentStatus(`127.0.0.1:${port}`), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'CMA_AGENT_UNREACHABLE');
      assert.match(e.message, new RegExp(`no agent answers at http://127\\.0\\.0\\.1:${port}/status \\(.*ECONNREFUSED`));
      return true;
    });
  });

  it('reports a taken port as CMA_LISTEN naming the address', async (t) => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const { port } = blocker.address() as { port: number };
    await assert.rejects(startHttpServer(options({ listen: `127.0.0.1:${port}` })), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'CMA_LISTEN');
      assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port}: EADDRINUSE`));
      return true;
    });
  });

  it('listens on [::1] when the host has IPv6 loopback', async (t) => {
    let server;
    try {
      server = await startHttpServer(options({ listen: '[::1]:0' }));
    } catch (e) {
      t.skip(`no IPv6 loopback here: ${(e as Error).message}`);
      return;
    }
    t.after(() => server.close());
    assert.match(server.address, /^\[::1\]:\d+$/);
    assert.equal((await get(server.address, '/healthz')).code, 200);
  });

  it('off loopback serves only /metrics, /healthz and /readyz, without error text; loopback (or --expose-status) gets all', async () => {
    // No traffic may leave loopback here, so the off-loopback side is asked directly, with what its listener decides.
    const o = options();
    o.state.status = {
      ...o.state.status,
      config: { ...o.state.status.config, lastError: '/etc/cma/c.yaml: registries: secret path [CMA_CONFIG_FIELD]' },
    };
    const status = await answer('GET', '/status', o, false);
    assert.equal(status.code, 404);
    assert.doesNotMatch(status.body, /etc\/cma|secret path/);
    const ready = await answer('GET', '/readyz', o, false);
    assert.deepEqual([ready.code, ready.body], [200, 'ok\n']);
    o.state.ready = false;
    assert.deepEqual(await answer('GET', '/readyz', o, false), { code: 503, type: 'text/plain; charset=utf-8', body: 'not ready\n' });
    assert.equal((await answer('GET', '/healthz', o, false)).code, 200);
    assert.equal((await answer('GET', '/metrics', o, false)).code, 200);
    assert.equal((await answer('GET', '/status', o, true)).code, 200, 'on loopback');
    for (const address of ['127.0.0.1', '127.3.4.5', '::1', '::ffff:127.0.0.1']) assert.ok(isLoopbackAddress(address), address);
    for (const address of ['10.0.0.7', '::ffff:10.0.0.7', 'fe80::1', '0.0.0.0', '::', undefined])
      assert.ok(!isLoopbackAddress(address), String(address));
  });

  it('a --listen on a node address also binds loopback on its port, where /status is served', async (t) => {
    const nodeAddress = Object.values(networkInterfaces())
      .flat()
      .find((i) => i?.family === 'IPv4' && !i.internal)?.address;
    if (nodeAddress === undefined) return t.skip('no non-loopback IPv4 address to bind');
    // Bound, never connected to: the only traffic goes to the loopback twin.
    const o = options({ listen: `${nodeAddress}:0` });
    const server = await startHttpServer(o);
    t.after(() => server.close());
    const twin = `127.0.0.1:${parseListen(server.address).port}`;
    assert.equal(server.twin, twin, 'the twin the canary goes through');
    assert.equal((await get(twin, '/status')).code, 200);
    // `status --listen NODE:PORT` (the DaemonSet's CMA_LISTEN) asks the twin, never the node address.
    assert.deepEqual(statusAddress(parseListen(server.address)), parseListen(twin));
    assert.deepEqual(await fetchAgentStatus(server.address), o.state.status);
  });

  it('status dials loopback for a --listen on an IP off loopback or a wildcard, and keeps loopback and hostnames', () => {
    const cases: Array<[string, string]> = [
      ['10.0.0.7:10147', '127.0.0.1:10147'],
      ['0.0.0.0:10147', '127.0.0.1:10147'],
      ['[fd00::7]:10147', '[::1]:10147'],
      ['[::]:10147', '[::1]:10147'],
      ['127.0.0.9:10147', '127.0.0.9:10147'],
      ['[::1]:10147', '[::1]:10147'],
      ['localhost:10147', 'localhost:10147'],
    ];
    for (const [listen, dialled] of cases) assert.deepEqual(statusAddress(parseListen(listen)), parseListen(dialled), listen);
  });

  it('rejects a malformed --listen as CMA_USAGE', () => {
    for (const bad of ['10147', ':10147', '127.0.0.1:99999', '[zz]:1', '::1:80', '127.0.0.1:']) {
      assert.throws(
        () => parseListen(bad),
        (e: Error & { code?: string }) => e.code === 'CMA_USAGE',
        bad,
      );
    }
    assert.deepEqual(parseListen('[::1]:10147'), { host: '::1', port: 10147 });
    assert.deepEqual(parseListen('localhost:0'), { host: 'localhost', port: 0 });
  });
});
