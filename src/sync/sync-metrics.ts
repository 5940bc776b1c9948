// The sync pod's Prometheus metrics, on a registry of its own (the host agent's series mean nothing here).
import { Counter, Gauge, MetricRegistry } from '../observe/prometheus.js';

const SYNC_METRIC_PREFIX = 'containerd_mirror_agent_sync_';

export type PassResult = 'published' | 'unchanged' | 'rejected' | 'failed';
const RESULTS: PassResult[] = ['published', 'unchanged', 'rejected', 'failed'];

export interface SyncMetrics {
  pass(result: PassResult, at: Date, keys?: number): void;
  /** A newly rejected source set, by the error codes it carries (CMA_CONFIG_*). */
  rejected(codes: readonly string[]): void;
  scrape(): Promise<{ contentType: string; body: string }>;
}

export function createSyncMetrics(info: { version: string }): SyncMetrics {
  const registry = new MetricRegistry();
  const name = (n: string): string => SYNC_METRIC_PREFIX + n;
  const passes = registry.register(
    new Counter(
      name('passes_total'),
      'Sync passes: published (HOSTDIR swapped), unchanged, rejected (invalid source set, not copied), failed (I/O)',
      ['result'],
    ),
  );
  const rejects = registry.register(
    new Counter(name('rejected_sets_total'), 'Invalid source sets kept off the node, counted once per distinct set, by error code', [
      'code',
    ]),
  );
  const valid = registry.register(
    new Gauge(name('source_valid'), '1 when the current source set is valid and on the node, 0 while it is rejected or copying fails'),
  );
  const lastSuccess = registry.register(
    new Gauge(
      name('last_success_timestamp_seconds'),
      'Unix time of the last pass that left HOSTDIR equal to the sources (published or unchanged)',
    ),
  );
  const keys = registry.register(new Gauge(name('keys'), 'Files (keys) in HOSTDIR after the last successful pass'));
  const buildInfo = registry.register(new Gauge(name('build_info'), 'Always 1; labels describe the build', ['version', 'node_version']));
  buildInfo.set({ version: info.version, node_version: process.version }, 1);
  for (const result of RESULTS) passes.inc({ result }, 0);
  return {
    pass(result, at, count) {
      passes.inc({ result });
      const success = result === 'published' || result === 'unchanged';
      valid.set({}, success ? 1 : 0);
      if (success) lastSuccess.set({}, at.getTime() / 1000);
      if (count !== undefined) keys.set({}, count);
    },
    rejected(codes) {
      for (const code of new Set(codes)) rejects.inc({ code });
    },
    scrape() {
      return Promise.resolve(registry.scrape());
    },
  };
}
