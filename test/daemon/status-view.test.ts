// The status view as a pure function: the same snapshot gives the same picture, with no agent running.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildStatus, type ReconcilerSnapshot } from '../../src/daemon/status-view.js';
import type { MirrorHealth } from '../../src/health/state-machine.js';
import type { AgentConfig, Mirror } from '../../src/model.js';
import { SYSTEM_DNS } from '../../src/config/kubelet-dns.js';

const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const tls = { ca: [], client: [], skipVerify: false };
const mirror = (url: string, probe = true): Mirror => ({
  url,
  capabilities: ['pull', 'resolve'],
  probe,
  tls,
  overridePath: false,
  authMode: 'auto',
});
const config: AgentConfig = {
  hostsDir: '/etc/containerd/certs.d',
  probe: { intervalMs: 2000, timeoutMs: 1000, failureThreshold: 2, successThreshold: 2 },
  registries: [
    {
      name: 'docker.io',
      server: 'https://registry-1.docker.io',
      serverTls: tls,
      mirrors: [mirror('http://cache:5000'), mirror('http://static:5002', false)],
      authMode: 'auto',
      fallback: true,
    },
    {
      name: 'ghcr.io',
      server: 'https://ghcr.io',
      serverTls: tls,
      mirrors: [mirror('http://cache:5001')],
      authMode: 'auto',
      fallback: true,
    },
  ],
  credentialFiles: [],
  restartCommand: ['true'],
  dns: SYSTEM_DNS,
};

function snapshot(over: Partial<ReconcilerSnapshot> = {}): ReconcilerSnapshot {
  return {
    startedAt: T0,
    ready: true,
    config,
    configHash: 'sha256:0123456789abcdef',
    configFiles: ['/etc/cma/config.yaml'],
    clusterFiles: [],
    configLoadedAt: T0 + 1000,
    refusal: undefined,
    lastApply: { at: T0 + 2000, result: { written: ['/a'], removed: [], restored: [], backedUp: [], unchanged: [] } },
    modes: new Map([
      ['docker.io', { mode: 'mirror', since: T0 + 3000 }],
      ['ghcr.io', { mode: 'upstream', since: T0 + 4000 }],
    ]),
    ...over,
  };
}

const health = new Map<string, MirrorHealth>([
  [
    'http://cache:5000',
    {
      state: 'up',
      consecutiveOk: 2,
      consecutiveFail: 0,
      since: T0 + 3000,
      transitions: [],
      lastResult: { ok: true, status: 200, durationMs: 12.4, at: T0 + 5000 },
    },
  ],
  [
    'http://cache:5001',
    {
      state: 'down',
      consecutiveOk: 0,
      consecutiveFail: 3,
      since: T0 + 4000,
      transitions: [T0 + 4000],
      lastResult: { ok: false, error: 'connect ECONNREFUSED', durationMs: 1, at: T0 + 5000 },
    },
  ],
]);

describe('buildStatus', () => {
  it('shows each registry with its mode and each mirror with its health, from the snapshots alone', () => {
    const status = buildStatus(snapshot(), health, { restartPending: false }, 4242);
    assert.equal(status.pid, 4242);
    assert.equal(status.ready, true);
    assert.equal(status.startedAt, '2026-12-01T10:00:00.000Z');
    assert.deepEqual(
      status.registries.map((r) => [r.name, r.mode, r.since]),
      [
        ['docker.io', 'mirror', '2026-12-01T10:00:03.000Z'],
        ['ghcr.io', 'upstream', '2026-12-01T10:00:04.000Z'],
      ],
    );
    assert.deepEqual(
      status.registries[0]?.mirrors.map((m) => [m.url, m.state, m.lastProbe?.durationMs]),
      [
        ['http://cache:5000', 'up', 12],
        ['http://static:5002', 'up', undefined],
      ],
    );
    assert.equal(status.registries[1]?.mirrors[0]?.lastProbe?.error, 'connect ECONNREFUSED');
    assert.deepEqual(status.lastApply, { at: '2026-12-01T10:00:02.000Z', written: 1, removed: 0, error: undefined });
    assert.equal(status.config.loadedAt, '2026-12-01T10:00:01.000Z');
  });

  it('starts a registry with no mode yet upstream-only since the start, and a probed mirror with no result unknown', () => {
    const status = buildStatus(snapshot({ modes: new Map() }), new Map(), { restartPending: false }, 1);
    assert.deepEqual(
      status.registries.map((r) => [r.mode, r.since]),
      [
        ['upstream', '2026-12-01T10:00:00.000Z'],
        ['upstream', '2026-12-01T10:00:00.000Z'],
      ],
    );
    assert.equal(status.registries[0]?.mirrors[0]?.state, 'unknown');
  });

  it('reports a refusal on one line with its time, and the restart owed', () => {
    const status = buildStatus(
      snapshot({
        refusal: {
          lines: ['/c.yaml: registries[0]: bad [CMA_CONFIG_FIELD]', '/c.yaml: probe: bad [CMA_CONFIG_FIELD]'],
          codes: ['CMA_CONFIG_FIELD', 'CMA_CONFIG_FIELD'],
          at: T0 + 9000,
        },
      }),
      health,
      { restartPending: true, reason: 'auth changed', lastRestartAt: T0 + 8000 },
      1,
    );
    assert.equal(status.config.lastError, '/c.yaml: registries[0]: bad [CMA_CONFIG_FIELD]; /c.yaml: probe: bad [CMA_CONFIG_FIELD]');
    assert.equal(status.config.lastErrorAt, '2026-12-01T10:00:09.000Z');
    assert.deepEqual(status.containerd, {
      version: null,
      hostsInEffect: null,
      checkedAt: undefined,
      reason: undefined,
      restartPending: true,
      restartReason: 'auth changed',
      lastError: undefined,
      lastRestartAt: '2026-12-01T10:00:08.000Z',
    });
  });

  it('is empty but well formed before any config loaded', () => {
    const status = buildStatus(
      snapshot({ config: undefined, ready: false, configHash: undefined, configFiles: [], lastApply: undefined, modes: new Map() }),
      new Map(),
      { restartPending: false },
      1,
    );
    assert.deepEqual(status.registries, []);
    assert.equal(status.hostsDir, '');
    assert.equal(status.lastApply, undefined);
  });

  it('shows a named mirror with its name, its addresses (each with its health) and when it was resolved', () => {
    const url = 'http://cache.ns.svc.cluster.local:5000';
    const namedConfig: AgentConfig = {
      ...config,
      registries: [
        {
          name: 'docker.io',
          server: 'https://registry-1.docker.io',
          serverTls: tls,
          mirrors: [{ ...mirror(url), dnsName: 'cache.ns.svc.cluster.local' }],
          authMode: 'auto',
          fallback: true,
        },
        {
          name: '_default',
          serverTls: tls,
          mirrors: [{ ...mirror('http://gone.ns.svc.cluster.local:5000'), dnsName: 'gone.ns.svc.cluster.local' }],
          authMode: 'auto',
          fallback: false,
        },
      ],
    };
    const named = new Map([
      [
        url,
        {
          resolution: { name: 'cache.ns.svc.cluster.local', addresses: ['10.96.0.7', '10.96.0.8'], at: T0 + 6000, reuseMs: 1000 },
          addresses: ['http://10.96.0.7:5000', 'http://10.96.0.8:5000'],
          proven: ['http://10.96.0.7:5000'],
        },
      ],
      [
        'http://gone.ns.svc.cluster.local:5000',
        {
          resolution: { name: 'gone.ns.svc.cluster.local', addresses: [], at: T0 + 7000, reuseMs: 250, error: 'NXDOMAIN: x' },
          addresses: [],
          proven: [],
        },
      ],
    ]);
    const addressHealth = new Map<string, MirrorHealth>([
      ['http://10.96.0.7:5000', { state: 'up', consecutiveOk: 2, consecutiveFail: 0, since: T0 + 6000, transitions: [] }],
      ['http://10.96.0.8:5000', { state: 'down', consecutiveOk: 0, consecutiveFail: 2, since: T0 + 6500, transitions: [] }],
    ]);
    const status = buildStatus(snapshot({ config: namedConfig }), addressHealth, { restartPending: false }, 1, named);
    const [docker, fallbackOnly] = status.registries.map((r) => r.mirrors[0]);
    assert.equal(docker?.name, 'cache.ns.svc.cluster.local');
    assert.equal(docker?.state, 'up');
    assert.equal(docker?.resolvedAt, '2026-12-01T10:00:06.000Z');
    assert.deepEqual(
      docker?.addresses?.map((a) => [a.url, a.state, a.written]),
      [
        ['http://10.96.0.7:5000', 'up', true],
        ['http://10.96.0.8:5000', 'down', false],
      ],
    );
    assert.equal(status.registries[1]?.server, undefined, '_default has no server');
    assert.deepEqual([fallbackOnly?.state, fallbackOnly?.resolveError, fallbackOnly?.addresses], ['down', 'NXDOMAIN: x', []]);
  });
});
