// Counters, gauges and histograms with labels, and their Prometheus text exposition (format 0.0.4).
// Our own rather than prom-client: the agent exports a dozen series, and prom-client (with its default
// collectors' event-loop timer and GC observer, and @opentelemetry/api) cost 12 MiB of RSS and CPU on every
// scrape-less second (docs/development.md, "Why these dependencies"). Process metrics are read at scrape time only.
import { readdirSync, readFileSync } from 'node:fs';

const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Labels<L extends string> = Partial<Record<L, string>>;

interface Metric {
  readonly name: string;
  /** Exposition lines of this metric, HELP and TYPE first. */
  lines(): string[];
}

// The data model's rules (prometheus.io/docs/concepts/data_model): checked when a metric is made, as
// prom-client did, so a bad name fails the agent's own tests rather than the scrape of every node.
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function checkNames(name: string, labelNames: readonly string[], reserved: readonly string[]): void {
  if (!METRIC_NAME.test(name)) throw new TypeError(`invalid metric name "${name}": use [a-zA-Z_:][a-zA-Z0-9_:]*`);
  const seen = new Set<string>();
  for (const label of labelNames) {
    if (!LABEL_NAME.test(label) || label.startsWith('__'))
      throw new TypeError(`invalid label name "${label}" of ${name}: use [a-zA-Z_][a-zA-Z0-9_]*, not starting with __`);
    if (reserved.includes(label)) throw new TypeError(`label name "${label}" of ${name} is reserved by its type`);
    if (seen.has(label)) throw new TypeError(`label name "${label}" appears twice in ${name}`);
    seen.add(label);
  }
}

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const escapeHelp = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const number = (v: number): string => (v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));

/** `{a="1",b="2"}` in the metric's label order, or '' without labels. */
function labelText(pairs: ReadonlyArray<readonly [string, string | undefined]>): string {
  const set = pairs.filter((p): p is readonly [string, string] => p[1] !== undefined);
  return set.length === 0 ? '' : `{${set.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

/** One value (or histogram) per label set, keyed by the label values in label order. */
abstract class Family<L extends string, V> implements Metric {
  protected readonly series = new Map<string, { labels: Labels<L>; value: V }>();

  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly type: string,
    protected readonly labelNames: readonly L[],
  ) {
    checkNames(name, labelNames, type === 'histogram' ? ['le'] : []);
  }

  private key(labels: Labels<L>): string {
    return JSON.stringify(this.labelNames.map((n) => labels[n]));
  }

  protected entry(labels: Labels<L>, initial: () => V): { labels: Labels<L>; value: V } {
    const key = this.key(labels);
    let found = this.series.get(key);
    if (found === undefined) {
      found = { labels: { ...labels }, value: initial() };
      this.series.set(key, found);
    }
    return found;
  }

  remove(labels: Labels<L>): void {
    this.series.delete(this.key(labels));
  }

  /** Drops every series, e.g. before setting the one that holds now. */
  reset(): void {
    this.series.clear();
  }

  protected pairs(labels: Labels<L>): Array<readonly [string, string | undefined]> {
    return this.labelNames.map((n) => [n, labels[n]] as const);
  }

  lines(): string[] {
    const out = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
    for (const { labels, value } of this.series.values()) out.push(...this.sampleLines(labels, value));
    return out;
  }

  protected abstract sampleLines(labels: Labels<L>, value: V): string[];
}

class Scalar<L extends string> extends Family<L, { v: number }> {
  protected sampleLines(labels: Labels<L>, value: { v: number }): string[] {
    return [`${this.name}${labelText(this.pairs(labels))} ${number(value.v)}`];
  }
}

export class Counter<L extends string = never> extends Scalar<L> {
  constructor(name: string, help: string, labelNames: readonly L[] = []) {
    super(name, help, 'counter', labelNames);
  }

  /** A counter only goes up: a negative, NaN or infinite step is refused (it would poison every rate()). */
  inc(labels: Labels<L> = {}, by = 1): void {
    if (!(by >= 0 && by < Infinity)) throw new RangeError(`counter ${this.name} cannot be increased by ${by}`);
    this.entry(labels, () => ({ v: 0 })).value.v += by;
  }
}

export class Gauge<L extends string = never> extends Scalar<L> {
  constructor(name: string, help: string, labelNames: readonly L[] = []) {
    super(name, help, 'gauge', labelNames);
  }

  set(labels: Labels<L>, value: number): void {
    this.entry(labels, () => ({ v: 0 })).value.v = value;
  }
}

interface Buckets {
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram<L extends string = never> extends Family<L, Buckets> {
  constructor(
    name: string,
    help: string,
    labelNames: readonly L[],
    private readonly buckets: readonly number[],
  ) {
    super(name, help, 'histogram', labelNames);
  }

  observe(labels: Labels<L>, value: number): void {
    const b = this.entry(labels, () => ({ counts: this.buckets.map(() => 0), sum: 0, count: 0 })).value;
    this.buckets.forEach((le, i) => {
      if (value <= le) b.counts[i] = (b.counts[i] ?? 0) + 1;
    });
    b.sum += value;
    b.count += 1;
  }

  protected sampleLines(labels: Labels<L>, b: Buckets): string[] {
    const pairs = this.pairs(labels);
    const lines = this.buckets.map((le, i) => `${this.name}_bucket${labelText([['le', number(le)], ...pairs])} ${b.counts[i] ?? 0}`);
    lines.push(`${this.name}_bucket${labelText([['le', '+Inf'], ...pairs])} ${b.count}`);
    lines.push(`${this.name}_sum${labelText(pairs)} ${number(b.sum)}`, `${this.name}_count${labelText(pairs)} ${b.count}`);
    return lines;
  }
}

/** A metric computed when scraped: the process's own CPU, memory and descriptors. */
class Sampled implements Metric {
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly type: string,
    private readonly read: () => number | undefined,
  ) {
    checkNames(name, [], []);
  }

  lines(): string[] {
    const value = this.read();
    if (value === undefined) return [];
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`, `${this.name} ${number(value)}`];
  }
}

function openFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

function residentBytes(): number {
  // VmRSS is the figure `ps` and the benchmarks report; memoryUsage.rss() reads the same counter.
  return process.memoryUsage.rss();
}

function maxFds(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The process metrics under the names Prometheus' client libraries give them (client_golang's process
 * collector, prom-client's defaults), unprefixed, as dashboards and alerts expect; read only when scraped.
 */
function processMetrics(): Metric[] {
  const startSeconds = Math.round(Date.now() / 1000 - process.uptime());
  const cpu = (part: 'user' | 'system' | 'total') => (): number => {
    const u = process.cpuUsage();
    return (part === 'user' ? u.user : part === 'system' ? u.system : u.user + u.system) / 1e6;
  };
  const heap = (field: 'heapTotal' | 'heapUsed' | 'external') => (): number => process.memoryUsage()[field];
  return [
    new Sampled('process_cpu_user_seconds_total', 'Total user CPU time spent in seconds.', 'counter', cpu('user')),
    new Sampled('process_cpu_system_seconds_total', 'Total system CPU time spent in seconds.', 'counter', cpu('system')),
    new Sampled('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', 'counter', cpu('total')),
    new Sampled('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', 'gauge', () => startSeconds),
    new Sampled('process_resident_memory_bytes', 'Resident memory size in bytes.', 'gauge', residentBytes),
    new Sampled('process_open_fds', 'Number of open file descriptors.', 'gauge', openFds),
    new Sampled('process_max_fds', 'Maximum number of open file descriptors.', 'gauge', maxFds),
    new Sampled('nodejs_heap_size_total_bytes', 'Process heap size from Node.js in bytes.', 'gauge', heap('heapTotal')),
    new Sampled('nodejs_heap_size_used_bytes', 'Process heap size used from Node.js in bytes.', 'gauge', heap('heapUsed')),
    new Sampled('nodejs_external_memory_bytes', 'Node.js external memory size in bytes.', 'gauge', heap('external')),
  ];
}

/** The metrics one /metrics endpoint serves, in registration order, with the process metrics first. */
export class MetricRegistry {
  private readonly metrics = new Map<string, Metric>();

  constructor() {
    for (const metric of processMetrics()) this.register(metric);
  }

  /** Adds `metric`; a second metric of the same name is refused, as its series would be served twice. */
  register<M extends Metric>(metric: M): M {
    if (this.metrics.has(metric.name)) throw new Error(`metric ${metric.name} is already registered`);
    this.metrics.set(metric.name, metric);
    return metric;
  }

  scrape(): { contentType: string; body: string } {
    return { contentType: CONTENT_TYPE, body: [...this.metrics.values()].flatMap((m) => m.lines()).join('\n') + '\n' };
  }
}
