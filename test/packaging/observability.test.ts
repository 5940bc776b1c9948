// Alert rules and the Grafana dashboard read only metrics the agent really exports.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { createMetrics } from '../../src/observe/metrics.js';
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

async function exported(): Promise<Set<string>> {
  const names = new Set<string>();
  const { body } = await createMetrics({ version: 'test' }).scrape();
  for (const [, name, type] of body.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name!);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name! + s);
  }
  return names;
}

/** Unknown metric names in `expr`: not in the contract (histogram series included) or not exported. */
function unknown(expr: string, real: Set<string>): string[] {
  const allowed = (n: string): boolean => CONTRACT.some((c) => n === c || n === `${c}_bucket` || n === `${c}_sum` || n === `${c}_count`);
  return metricNames(expr).filter((n) => !allowed(n) || !real.has(n));
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
    assert.deepEqual(unknown('containerd_mirror_agent_probe_duration_seconds_bucket', real), []);
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
    for (const a of ['ContainerdMirrorCacheDownOnManyNodes', 'ContainerdMirrorAgentConfigRejected', 'ContainerdMirrorAgentRestartPending'])
      assert.ok(names.includes(a), a);
    assert.equal(new Set(names).size, names.length, 'alert names are unique');
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
