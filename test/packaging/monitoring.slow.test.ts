// The alerts and the dashboard through Prometheus's own promtool (Debian's `prometheus` package, installed by
// `make test-deps`): the rules load, every alert has a unit test that makes it fire and one that keeps it quiet,
// every dashboard query parses; and the monitoring kustomization builds beside the DaemonSet's.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { missing, repoPath, run } from './tools.js';

const RULES = 'packaging/prometheus/alerts.yaml';
const RULE_TESTS = 'packaging/prometheus/alerts.test.yaml';
const DASHBOARD = 'packaging/grafana/containerd-mirror-agent.json';

/** Skips without promtool when not root (nothing could install it); as root `make test-deps` installs it, so it must be there. */
function needPromtool(t: TestContext): boolean {
  const reason = missing('promtool', "Prometheus's rule checker, Debian package prometheus");
  if (reason === undefined) return true;
  assert.notEqual(process.getuid?.(), 0, `${reason}: as root, test/setup/install-debian-deps.sh installs it`);
  t.skip(reason);
  return false;
}

const work = mkdtempSync(join(tmpdir(), 'cma-monitoring-'));
after(() => rmSync(work, { recursive: true, force: true }));

interface RuleTests {
  tests: Array<{ name: string; alert_rule_test: Array<{ alertname: string; exp_alerts?: unknown[] }> }>;
}

/** `promtool check rules` on one recording rule per expression: it parses each as PromQL, as Prometheus would. */
function checkExpressions(exprs: string[]): ReturnType<typeof run> {
  const file = join(work, 'exprs.yaml');
  const rules = exprs.map((expr, i) => ({ record: `dashboard:query_${i}`, expr }));
  writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
  return run('promtool', ['check', 'rules', file]);
}

/** A dashboard query as Prometheus receives it: Grafana's variables replaced by what "All" and the step give. */
function asQueried(expr: string): string {
  return expr.replaceAll('$__rate_interval', '5m').replaceAll('$job', '.*').replaceAll('$instance', '.*');
}

describe('alert rules under promtool', () => {
  const alerts = (parse(readFileSync(repoPath(RULES), 'utf8')) as { groups: Array<{ rules: Array<{ alert: string }> }> }).groups
    .flatMap((g) => g.rules)
    .map((r) => r.alert);
  const cases = (parse(readFileSync(repoPath(RULE_TESTS), 'utf8')) as RuleTests).tests.flatMap((t) => t.alert_rule_test);

  it('promtool check rules accepts the rules file', (t) => {
    if (!needPromtool(t)) return;
    const r = run('promtool', ['check', 'rules', repoPath(RULES)]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`SUCCESS: ${alerts.length} rules found`));
  });

  it('every alert has a case where it fires and one where it stays quiet, and no case names an unknown alert', () => {
    for (const alert of alerts) {
      const mine = cases.filter((c) => c.alertname === alert);
      assert.ok(
        mine.some((c) => (c.exp_alerts ?? []).length > 0),
        `${alert}: no case in ${RULE_TESTS} where it fires`,
      );
      assert.ok(
        mine.some((c) => (c.exp_alerts ?? []).length === 0),
        `${alert}: no case in ${RULE_TESTS} where it stays quiet`,
      );
    }
    for (const c of cases) assert.ok(alerts.includes(c.alertname), `${RULE_TESTS} tests ${c.alertname}, which ${RULES} does not have`);
  });

  it('promtool test rules: every case passes', (t) => {
    if (!needPromtool(t)) return;
    const r = run('promtool', ['test', 'rules', repoPath(RULE_TESTS)]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS/);
  });
});

describe('dashboard queries under promtool', () => {
  const dash = JSON.parse(readFileSync(repoPath(DASHBOARD), 'utf8')) as {
    panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
  };
  const exprs = dash.panels.flatMap((p) => p.targets.map((t) => asQueried(t.expr)));

  it('every query is a PromQL expression Prometheus parses, once its variables are filled in', (t) => {
    if (!needPromtool(t)) return;
    for (const e of exprs) assert.doesNotMatch(e, /\$/, `a variable left in: ${e}`);
    const r = checkExpressions(exprs);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`SUCCESS: ${exprs.length} rules found`));
  });

  it('the check rejects a query that does not parse', (t) => {
    if (!needPromtool(t)) return;
    const r = checkExpressions([exprs[0]!, 'sum by (registry (containerd_mirror_agent_mirror_up)']);
    assert.notEqual(r.code, 0);
  });
});

describe('monitoring kustomization', () => {
  it('builds offline on its own, and beside the DaemonSet with that set unchanged', (t) => {
    const skip = missing('kubectl', 'Kubernetes client');
    if (skip) return t.skip(skip);
    const kinds = (dir: string): string[] => {
      const r = run('kubectl', ['kustomize', dir]);
      assert.equal(r.code, 0, r.stderr);
      return parseAllDocuments(r.stdout)
        .map((d) => (d.toJS() as { kind: string }).kind)
        .sort();
    };
    assert.deepEqual(kinds(repoPath('packaging/kubernetes/monitoring')), ['PodMonitor', 'PrometheusRule']);
    const both = join(work, 'with-monitoring');
    const rel = (dir: string): string => relative(both, repoPath(dir));
    mkdirSync(both);
    writeFileSync(
      join(both, 'kustomization.yaml'),
      stringify({ resources: [rel('packaging/kubernetes/daemonset'), rel('packaging/kubernetes/monitoring')] }),
    );
    const alone = kinds(repoPath('packaging/kubernetes/daemonset'));
    assert.deepEqual(kinds(both), [...alone, 'PodMonitor', 'PrometheusRule'].sort());
  });
});
