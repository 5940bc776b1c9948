// The exposition our own metric registry writes: what Prometheus' text format 0.0.4 requires of it, beyond the
// exact series names and labels metrics.test.ts checks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Gauge, Histogram, MetricRegistry } from '../../src/observe/prometheus.js';

describe('prometheus registry', () => {
  it('escapes label values and help text, and writes HELP and TYPE once per metric', () => {
    const r = new MetricRegistry();
    const g = r.register(new Gauge('t_g', 'a help\nwith a newline and \\', ['path']));
    g.set({ path: 'C:\\dir "quoted"\nnext' }, 1);
    g.set({ path: 'plain' }, 2);
    const body = r.scrape().body;
    assert.ok(body.includes('# HELP t_g a help\\nwith a newline and \\\\\n# TYPE t_g gauge\n'), body);
    assert.ok(body.includes('t_g{path="C:\\\\dir \\"quoted\\"\\nnext"} 1\n'), body);
    assert.equal(body.split('# TYPE t_g ').length, 2);
  });

  it('histograms are cumulative, end with +Inf, and carry _sum and _count', () => {
    const r = new MetricRegistry();
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
    const r = new MetricRegistry();
    const c = r.register(new Counter('t_c_total', 'c', ['to']));
    c.inc({ to: 'a' }, 0);
    c.inc({ to: 'b' });
    c.inc({ to: 'b' });
    c.remove({ to: 'a' });
    const body = r.scrape().body;
    assert.ok(!body.includes('t_c_total{to="a"}'), body);
    assert.ok(body.includes('t_c_total{to="b"} 2\n'), body);
  });

  it('process metrics are read at scrape time, under the standard unprefixed names', () => {
    const body = new MetricRegistry().scrape().body;
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'process_start_time_seconds',
      'process_open_fds',
      'process_max_fds',
      'nodejs_heap_size_used_bytes',
    ]) {
      assert.match(body, new RegExp(`^# TYPE ${name} (counter|gauge)\n${name} \\d`, 'm'), name);
    }
  });

  it('refuses names Prometheus refuses, a counter going down, and a second metric of one name', () => {
    for (const [name, labels] of [
      ['1st', []],
      ['has-dash', []],
      ['t_ok', ['bad-label']],
      ['t_ok', ['__reserved']],
      ['t_ok', ['a', 'a']],
      ['', []],
    ] as const) {
      assert.throws(() => new Gauge(name, 'h', labels), TypeError, `${name} ${labels.join(',')}`);
    }
    assert.throws(() => new Histogram('t_h', 'h', ['le'], [1]), /"le" of t_h is reserved/);
    assert.doesNotThrow(() => new Gauge('ns:t_ok_1', 'h', ['_a', 'b2']));

    const r = new MetricRegistry();
    const c = r.register(new Counter('t_c_total', 'c', ['to']));
    for (const step of [-1, NaN, Infinity]) assert.throws(() => c.inc({ to: 'a' }, step), RangeError, String(step));
    c.inc({ to: 'a' }, 0.5);
    assert.throws(() => r.register(new Gauge('t_c_total', 'again')), /t_c_total is already registered/);
    assert.throws(() => r.register(new Gauge('process_cpu_seconds_total', 'again')), /already registered/);
    assert.match(r.scrape().body, /^t_c_total\{to="a"\} 0\.5$/m);
    assert.equal(r.scrape().body.split('# TYPE t_c_total ').length, 2);
  });
});
