// The exposition our own metric registry writes: what Prometheus' text format 0.0.4 requires of it, beyond the
// exact series names and labels metrics.test.ts checks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Gauge, Histogram, MetricRegistry } from '../../src/observe/prometheus.js';

describe('prometheus registry', () => {
  it('escapes label values and help text, and writes HELP and TYPE once per metric', () => {
    const r = new MetricRegistry('t_');
    const g = r.register(new Gauge('t_g', 'a help\nwith a newline and \\', ['path']));
    g.set({ path: 'C:\\dir "quoted"\nnext' }, 1);
    g.set({ path: 'plain' }, 2);
    const body = r.scrape().body;
    assert.ok(body.includes('# HELP t_g a help\\nwith a newline and \\\\\n# TYPE t_g gauge\n'), body);
    assert.ok(body.includes('t_g{path="C:\\\\dir \\"quoted\\"\\nnext"} 1\n'), body);
    assert.equal(body.split('# TYPE t_g ').length, 2);
  });

  it('histograms are cumulative, end with +Inf, and carry _sum and _count', () => {
    const r = new MetricRegistry('t_');
    const h = r.register(new Histogram('t_h', 'h', ['kind'], [0.1, 1]));
    for (const v of [0.05, 0.5, 5]) h.observe({ kind: 'a' }, v);
    const lines = r.scrape().body.split('\n');
    for (const line of [
      't_h_bucket{le="0.1",kind="a"} 1',
      't_h_bucket{le="1",kind="a"} 2',
      't_h_bucket{le="+Inf",kind="a"} 3',
      't_h_sum{kind="a"} 5.55',
      't_h_count{kind="a"} 3',
    ]) {
      assert.ok(lines.includes(line), `missing ${line}`);
    }
  });

  it('remove() drops exactly one label set; counters count from 0 when told', () => {
    const r = new MetricRegistry('t_');
    const c = r.register(new Counter('t_c_total', 'c', ['to']));
    c.inc({ to: 'a' }, 0);
    c.inc({ to: 'b' });
    c.inc({ to: 'b' });
    c.remove({ to: 'a' });
    const body = r.scrape().body;
    assert.ok(!body.includes('t_c_total{to="a"}'), body);
    assert.ok(body.includes('t_c_total{to="b"} 2\n'), body);
  });

  it('process metrics are read at scrape time, under the prefix', () => {
    const body = new MetricRegistry('t_').scrape().body;
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'process_start_time_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      assert.match(body, new RegExp(`^t_${name} \\d`, 'm'), name);
    }
  });
});
