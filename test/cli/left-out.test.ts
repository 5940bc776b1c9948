// `render` and `apply` name every mirror their files leave out, and why (issue 24): the rule must agree with
// what render writes, so each case renders the same inputs and checks the file against the lines.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatLeftOut, leftOutMirrors } from '../../src/cli/left-out.js';
import { renderHostsTree } from '../../src/render/index.js';
import type { AgentConfig, HealthView } from '../../src/model.js';
import { CONTAINERD_2_1, agentConfig, mirror, registry } from '../render/fixtures.js';

const A = 'http://127.0.0.1:5001';
const B = 'http://127.0.0.2:5002';

function written(config: AgentConfig, health: HealthView): string {
  return [...renderHostsTree(config, health, CONTAINERD_2_1).values()].map((f) => f.content).join('\n');
}

describe('mirrors left out by a one-shot command', () => {
  it('names a mirror whose probe failed, with the probe reason, and says the registry goes upstream-only', () => {
    const config = agentConfig([registry('docker.io', { mirrors: [mirror(A)] })]);
    const health: HealthView = new Map([[A, 'down']]);
    const lines = leftOutMirrors(config, health, { failures: new Map([[A, 'connect ECONNREFUSED 127.0.0.1:5001']]) }).map(formatLeftOut);
    assert.deepEqual(lines, [
      `left out ${A} for docker.io: its probe failed (connect ECONNREFUSED 127.0.0.1:5001); \`run\` adds it once it answers; docker.io is written upstream-only`,
    ]);
    assert.ok(!written(config, health).includes(A), 'render leaves it out too');
  });

  it('says the other mirrors stay when only one is left out, and says nothing of a mirror that is written', () => {
    const config = agentConfig([registry('docker.io', { mirrors: [mirror(A), mirror(B)] })]);
    const health: HealthView = new Map([
      [A, 'up'],
      [B, 'down'],
    ]);
    const left = leftOutMirrors(config, health, { failures: new Map() });
    assert.deepEqual(
      left.map((l) => [l.url, l.upstreamOnly]),
      [[B, false]],
    );
    assert.match(formatLeftOut(left[0]!), /its other mirrors are written$/);
    assert.ok(written(config, health).includes(A) && !written(config, health).includes(B));
  });

  it('names the assumption when mirrors are assumed down, and a DNS-named mirror whatever the assumption', () => {
    const named = mirror('http://cache.kube-system.svc.cluster.local:5000', { dnsName: 'cache.kube-system.svc.cluster.local' });
    const config = agentConfig([registry('docker.io', { mirrors: [mirror(A)] }), registry('ghcr.io', { mirrors: [named] })]);
    const assume = (state: 'up' | 'down') =>
      leftOutMirrors(
        config,
        new Map([
          [A, state],
          [named.url, state],
        ]),
        { assumed: state },
      );
    const down = assume('down');
    assert.deepEqual(
      down.map((l) => `${l.registry} ${l.reason}`),
      [
        'docker.io assumed down (--assume-mirrors down)',
        'ghcr.io named by a cluster DNS name, which only `run` resolves (through clusterDNS) and writes as addresses',
      ],
    );
    const up = assume('up');
    assert.deepEqual(
      up.map((l) => l.url),
      [named.url],
    );
    assert.ok(
      !written(
        config,
        new Map([
          [A, 'up'],
          [named.url, 'up'],
        ]),
      ).includes('cache.kube-system'),
      'render leaves the name out',
    );
  });

  it('never reports a mirror of a mirror-only registry, which is written whatever its health, nor an unprobed one', () => {
    const config = agentConfig([
      registry('docker.io', { mirrors: [mirror(A)], fallback: false }),
      registry('ghcr.io', { mirrors: [mirror(B, { probe: false })] }),
    ]);
    const health: HealthView = new Map([[A, 'down']]);
    assert.deepEqual(leftOutMirrors(config, health, { failures: new Map([[A, 'x']]) }), []);
    const files = written(config, health);
    assert.ok(files.includes(A) && files.includes(B));
  });
});
