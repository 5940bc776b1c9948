import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMetrics } from '../../src/observe/metrics.js';
import { agentStatus, mirror, registry } from './fixtures.js';

const P = 'containerd_mirror_agent_';

/** Sample lines (`name{labels} value`) of the exposition text, without comments. */
async function samples(metrics: ReturnType<typeof createMetrics>): Promise<string[]> {
  const { body, contentType } = await metrics.scrape();
  assert.match(contentType, /^text\/plain/);
  return body.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

describe('metrics', () => {
  it('exports hosts_in_effect 1 or 0 from the canary, and no sample while it is unknown', async () => {
    const m = createMetrics({ version: '1.2.3' });
    const line = (s: string[]) => s.filter((l) => l.startsWith(`${P}hosts_in_effect`));
    m.observeStatus(agentStatus({ containerd: { version: '2.1.9', hostsInEffect: null, restartPending: false } }));
    assert.deepEqual(line(await samples(m)), []);
    m.observeStatus(agentStatus({ containerd: { version: '2.1.9', hostsInEffect: true, restartPending: false } }));
    assert.deepEqual(line(await samples(m)), [`${P}hosts_in_effect{containerd_version="2.1.9"} 1`]);
    m.observeStatus(agentStatus({ containerd: { version: '2.1.9', hostsInEffect: false, reason: 'x', restartPending: false } }));
    assert.deepEqual(line(await samples(m)), [`${P}hosts_in_effect{containerd_version="2.1.9"} 0`]);
  });

  it('exports every metric with its exact name and labels', async () => {
    const m = createMetrics({ version: '1.2.3' });
    m.observeStatus(
      agentStatus({ containerd: { version: '1.6.20', hostsInEffect: null, restartPending: true, restartReason: 'auth changed' } }),
    );
    m.probe('http://10.96.0.50:5000', true, 12);
    m.probe('http://cache:5001', false, 1000);
    m.modeTransition('ghcr.io', 'upstream');
    m.configApply('changed', new Date('2025-06-01T12:00:00Z'));
    m.configApply('failed', new Date('2025-06-01T12:05:00Z'));
    m.configLoadError('CMA_CONFIG_FIELD');
    m.containerdRestart('failure');
    const s = await samples(m);
    for (const line of [
      `${P}mirror_up{registry="docker.io",mirror="http://10.96.0.50:5000"} 1`,
      `${P}mirror_up{registry="ghcr.io",mirror="http://cache:5001"} 0`,
      `${P}registry_mode{registry="docker.io",mode="mirror"} 1`,
      `${P}registry_mode{registry="docker.io",mode="upstream"} 0`,
      `${P}registry_mode{registry="ghcr.io",mode="mirror"} 0`,
      `${P}registry_mode{registry="ghcr.io",mode="upstream"} 1`,
      `${P}probe_duration_seconds_bucket{le="0.025",mirror="http://10.96.0.50:5000",result="success"} 1`,
      `${P}probe_duration_seconds_bucket{le="1",mirror="http://cache:5001",result="failure"} 1`,
      `${P}probe_duration_seconds_count{mirror="http://cache:5001",result="failure"} 1`,
      `${P}mode_transitions_total{registry="ghcr.io",to="upstream"} 1`,
      `${P}mode_transitions_total{registry="docker.io",to="mirror"} 0`,
      `${P}config_applies_total{result="changed"} 1`,
      `${P}config_applies_total{result="unchanged"} 0`,
      `${P}config_applies_total{result="failed"} 1`,
      `${P}config_load_errors_total{code="CMA_CONFIG_FIELD"} 1`,
      `${P}last_successful_apply_timestamp_seconds 1748779200`,
      `${P}build_info{version="1.2.3",node_version="${process.version}"} 1`,
      `${P}restart_pending 1`,
      `${P}config_rejected 0`,
      `${P}containerd_restarts_total{result="failure"} 1`,
      `${P}containerd_restarts_total{result="success"} 0`,
    ]) {
      assert.ok(s.includes(line), `missing: ${line}`);
    }
    // The process metrics keep the names every dashboard uses (issue 24); everything else is the agent's own.
    assert.ok(s.some((l) => l.startsWith('process_cpu_seconds_total ')));
    assert.deepEqual(
      s.filter((l) => !l.startsWith(P) && !/^(process|nodejs)_/.test(l)),
      [],
      'every other series carries the prefix',
    );
    assert.ok(!s.some((l) => l.startsWith(`${P}process_`) || l.startsWith(`${P}nodejs_`)));
  });

  it('config_rejected is 1 exactly while a rejected config is reported', async () => {
    const m = createMetrics({ version: '1' });
    const rejected = agentStatus();
    rejected.config.lastError = 'c.yaml: registries: bad [CMA_CONFIG_FIELD]';
    m.observeStatus(rejected);
    assert.ok((await samples(m)).includes(`${P}config_rejected 1`));
    m.observeStatus(agentStatus());
    assert.ok((await samples(m)).includes(`${P}config_rejected 0`));
  });

  it('has no mirror_up series for an unknown or unprobed mirror', async () => {
    const m = createMetrics({ version: '1' });
    m.observeStatus(
      agentStatus({
        registries: [
          registry('quay.io', 'upstream', [mirror('http://boot:5000', 'unknown'), mirror('http://static:5000', 'up', { probe: false })]),
        ],
      }),
    );
    const s = await samples(m);
    assert.ok(!s.some((l) => l.includes(`${P}mirror_up`)), s.join('\n'));
    assert.ok(s.includes(`${P}registry_mode{registry="quay.io",mode="upstream"} 1`));
  });

  it('drops the series of a registry and a mirror that left the config', async () => {
    const m = createMetrics({ version: '1' });
    m.observeStatus(agentStatus());
    m.probe('http://cache:5001', false, 1000);
    m.modeTransition('ghcr.io', 'upstream');
    m.observeStatus(agentStatus({ registries: [registry('docker.io', 'mirror', [mirror('http://10.96.0.50:5000', 'up')])] }));
    const s = await samples(m);
    assert.deepEqual(
      s.filter((l) => l.includes('ghcr.io') || l.includes('cache:5001')),
      [],
    );
    assert.ok(s.includes(`${P}mirror_up{registry="docker.io",mirror="http://10.96.0.50:5000"} 1`));
    // A mirror that goes back to unknown (e.g. its URL changed and came back) loses its stale 0/1.
    m.observeStatus(agentStatus({ registries: [registry('docker.io', 'upstream', [mirror('http://10.96.0.50:5000', 'unknown')])] }));
    assert.ok(!(await samples(m)).some((l) => l.startsWith(`${P}mirror_up`)));
  });

  it("keeps a named mirror's address probe series while it resolves to it, drops them after", async () => {
    const m = createMetrics({ version: '1' });
    const named = (addresses: string[]) =>
      agentStatus({
        registries: [
          registry('docker.io', 'mirror', [
            mirror('http://cache.ns.svc.cluster.local:5000', 'up', {
              name: 'cache.ns.svc.cluster.local',
              addresses: addresses.map((url) => ({ url, state: 'up', since: '2026-12-01T10:00:00.000Z', written: true })),
            }),
          ]),
        ],
      });
    m.observeStatus(named(['http://10.96.0.7:5000']));
    m.probe('http://10.96.0.7:5000', true, 5);
    m.observeStatus(named(['http://10.96.0.7:5000']));
    assert.ok((await samples(m)).some((l) => l.includes('probe_duration_seconds_count{mirror="http://10.96.0.7:5000"')));
    m.observeStatus(named(['http://10.96.0.8:5000']));
    assert.ok(!(await samples(m)).some((l) => l.includes('10.96.0.7')), 'the old address is gone');
  });

  it('never puts URL user info into a label', async () => {
    const m = createMetrics({ version: '1' });
    m.observeStatus(agentStatus({ registries: [registry('r.io', 'mirror', [mirror('https://bob:hunter2@m.local:5000', 'up')])] }));
    m.probe('https://bob:hunter2@m.local:5000', true, 5);
    const { body } = await m.scrape();
    assert.ok(!body.includes('hunter2'));
    assert.match(body, /mirror="https:\/\/m\.local:5000"/);
  });

  it('keeps each instance on its own registry', async () => {
    const a = createMetrics({ version: 'a' });
    const b = createMetrics({ version: 'b' });
    a.containerdRestart('success');
    assert.ok((await samples(b)).includes(`${P}containerd_restarts_total{result="success"} 0`));
  });
});
