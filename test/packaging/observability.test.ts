// Alert rules and the Grafana dashboard read only metrics the agent (or its sync pod) really exports; the
// PrometheusRule is the rules file; the PodMonitor scrapes the pods the manifests run. promtool's own checks of the
// same files: monitoring.slow.test.ts.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { createMetrics } from '../../src/observe/metrics.js';
import { createSyncMetrics } from '../../src/sync/sync-metrics.js';
import { PROMETHEUS_RULE, prometheusRule } from './prometheus-rule.js';
import { balanced, metricNames } from './promql.js';
import { repoPath } from './tools.js';

// The names the contract lists; each must also be what the agent's registry really exports.
const CONTRACT = [
  'mirror_up',
  'registry_mode',
  'probe_duration_seconds',
  'mode_transitions_total',
  'config_applies_total',
  'config_load_errors_total',
  'last_successful_apply_timestamp_seconds',
  'build_info',
  'restart_pending',
  'containerd_restarts_total',
  'config_rejected',
].map((n) => `containerd_mirror_agent_${n}`);

// Series from elsewhere that rules may read: kube-state-metrics' node list (ContainerdMirrorAgentMetricsAbsent).
const EXTERNAL = new Set(['kube_node_info']);

/** Every series name the agent and the sync pod serve (a histogram's _bucket, _sum and _count included). */
async function exported(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const metrics of [createMetrics({ version: 'test' }), createSyncMetrics({ version: 'test' })]) {
    const { body } = await metrics.scrape();
    for (const [, name, type] of body.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      names.add(name!);
      if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name! + s);
    }
  }
  return names;
}

/** Metric names in `expr` that neither the agent nor its sync pod serves, nor kube-state-metrics. */
function unknown(expr: string, real: Set<string>): string[] {
  return metricNames(expr).filter((n) => !real.has(n) && !EXTERNAL.has(n));
}

describe('metric name check', () => {
  it('finds metric names and ignores functions, labels, ranges and grouping', () => {
    assert.deepEqual(metricNames('sum by (registry, mirror) (rate(a_total{result="x"}[5m])) / on(instance) b or up == 0'), [
      'a_total',
      'b',
      'up',
    ]);
  });
  it('flags a name the agent does not export', async () => {
    const real = await exported();
    assert.deepEqual(unknown('up == 0 or containerd_mirror_agent_mirror_down', real), ['up', 'containerd_mirror_agent_mirror_down']);
    assert.deepEqual(unknown('containerd_mirror_agent_probe_duration_seconds_bucket or kube_node_info', real), []);
    assert.deepEqual(unknown('process_resident_memory_bytes + containerd_mirror_agent_sync_source_valid', real), []);
    assert.deepEqual(unknown('process_made_up_bytes', real), ['process_made_up_bytes']);
  });
  it('the names of the contract are exported', async () => {
    const real = await exported();
    for (const name of CONTRACT) assert.ok(real.has(name), name);
  });
});

describe('Prometheus alert rules', () => {
  const doc = parse(readFileSync(repoPath('packaging/prometheus/alerts.yaml'), 'utf8')) as {
    groups: Array<{
      name: string;
      rules: Array<{ alert: string; expr: string; for?: string; labels: { severity: string }; annotations: { summary: string } }>;
    }>;
  };
  const rules = doc.groups.flatMap((g) => g.rules);

  it('has the alerts the issue asks for', () => {
    const names = rules.map((r) => r.alert);
    for (const a of [
      'ContainerdMirrorCacheDownOnManyNodes',
      'ContainerdMirrorAgentConfigRejected',
      'ContainerdMirrorAgentRestartPending',
      'ContainerdMirrorRegistryUpstreamOnly',
      'ContainerdMirrorRegistryDegraded',
      'ContainerdMirrorHostsNotInEffect',
      'ContainerdMirrorSyncConfigRejected',
      'ContainerdMirrorAgentRestartOwedForLong',
      'ContainerdMirrorAgentMetricsAbsent',
      'ContainerdMirrorFailoverOnManyNodes',
    ])
      assert.ok(names.includes(a), a);
    assert.equal(new Set(names).size, names.length, 'alert names are unique');
  });

  it('docs/operations.md says what each alert means and what to do', () => {
    const page = readFileSync(repoPath('docs/operations.md'), 'utf8');
    for (const r of rules) assert.match(page, new RegExp(`^\\| \`${r.alert}\` \\| ${r.labels.severity}, `, 'm'), r.alert);
  });

  it('every rule is complete and reads only exported metrics', async () => {
    const real = await exported();
    for (const r of rules) {
      assert.ok(balanced(r.expr), `${r.alert}: unbalanced expression`);
      assert.ok(metricNames(r.expr).length > 0, `${r.alert}: reads no metric`);
      assert.deepEqual(unknown(r.expr, real), [], r.alert);
      assert.match(r.labels.severity, /^(info|warning|critical)$/, r.alert);
      assert.ok(r.annotations.summary.length > 0, r.alert);
      if (r.for !== undefined) assert.match(r.for, /^\d+[smh]$/, r.alert);
    }
  });
});

describe('PrometheusRule', () => {
  it('is alerts.yaml under a PrometheusRule spec (UPDATE_GOLDEN=1 rewrites it: make update-prometheus-rule)', () => {
    const alerts = readFileSync(repoPath('packaging/prometheus/alerts.yaml'), 'utf8');
    const want = prometheusRule(alerts);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(repoPath(PROMETHEUS_RULE), want);
    const text = readFileSync(repoPath(PROMETHEUS_RULE), 'utf8');
    assert.equal(text, want, `${PROMETHEUS_RULE} differs from alerts.yaml: run make update-prometheus-rule`);
    const doc = parse(text) as { apiVersion: string; kind: string; spec: unknown };
    assert.equal(doc.apiVersion, 'monitoring.coreos.com/v1');
    assert.equal(doc.kind, 'PrometheusRule');
    assert.deepEqual(doc.spec, parse(alerts));
  });
});

describe('PodMonitor', () => {
  interface Workload {
    kind: string;
    spec: { template: { metadata: { labels: Record<string, string> }; spec: { containers: Array<{ ports: Array<{ name: string }> }> } } };
  }
  const monitor = parse(readFileSync(repoPath('packaging/kubernetes/monitoring/podmonitor.yaml'), 'utf8')) as {
    kind: string;
    metadata: { namespace: string };
    spec: {
      selector: { matchLabels: Record<string, string> };
      podMetricsEndpoints: Array<{ port: string; path: string; relabelings: Array<{ sourceLabels: string[]; targetLabel: string }> }>;
    };
  };
  const daemonSets = ['packaging/kubernetes/daemonset/daemonset.yaml', 'packaging/kubernetes/host-mode/sync-daemonset.yaml'].map(
    (f) => parse(readFileSync(repoPath(f), 'utf8')) as Workload,
  );

  it("scrapes the agent's and the sync pod's `http` port at /metrics, and labels each series with its node", () => {
    const [endpoint] = monitor.spec.podMetricsEndpoints;
    assert.equal(monitor.kind, 'PodMonitor');
    assert.equal(monitor.metadata.namespace, 'containerd-mirror-agent');
    assert.equal(endpoint!.path, '/metrics');
    assert.ok(endpoint!.relabelings.some((r) => r.sourceLabels.includes('__meta_kubernetes_pod_node_name') && r.targetLabel === 'node'));
    for (const { kind, spec } of daemonSets) {
      assert.equal(kind, 'DaemonSet');
      for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels)) assert.equal(spec.template.metadata.labels[k], v);
      assert.ok(spec.template.spec.containers[0]!.ports.some((p) => p.name === endpoint!.port));
    }
  });
});

describe('Grafana dashboard', () => {
  const dash = JSON.parse(readFileSync(repoPath('packaging/grafana/containerd-mirror-agent.json'), 'utf8')) as {
    uid: string;
    title: string;
    schemaVersion: number;
    templating: { list: Array<{ name: string; type: string }> };
    panels: Array<{
      id: number;
      title: string;
      gridPos: object;
      datasource: { uid: string };
      targets: Array<{ refId: string; expr: string }>;
    }>;
  };

  it('is importable: uid, title, schema version, a data source variable every panel uses', () => {
    assert.ok(dash.uid && dash.title && dash.schemaVersion >= 36);
    assert.ok(dash.templating.list.some((v) => v.name === 'datasource' && v.type === 'datasource'));
    const ids = dash.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
    for (const p of dash.panels) {
      assert.equal(p.datasource.uid, '${datasource}', p.title);
      assert.ok(p.gridPos, p.title);
    }
  });

  it('every panel query reads only exported metrics', async () => {
    const real = await exported();
    for (const p of dash.panels) {
      assert.ok(p.targets.length > 0, p.title);
      for (const t of p.targets) {
        assert.ok(balanced(t.expr), `${p.title}: unbalanced expression`);
        assert.deepEqual(unknown(t.expr, real), [], p.title);
      }
    }
  });
});
