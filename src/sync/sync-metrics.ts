// The sync pod's Prometheus metrics, on a registry of its own (the host agent's series mean nothing here).
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export const SYNC_METRIC_PREFIX = 'containerd_mirror_agent_sync_';

export type PassResult = 'published' | 'unchanged' | 'rejected' | 'failed';
const RESULTS: PassResult[] = ['published', 'unchanged', 'rejected', 'failed'];

export interface SyncMetrics {
  pass(result: PassResult, at: Date, keys?: number): void;
  /** A newly rejected source set, by the error codes it carries (CMA_CONFIG_*). */
  rejected(codes: readonly string[]): void;
  scrape(): Promise<{ contentType: string; body: string }>;
}

export function createSyncMetrics(info: { version: string }): SyncMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: SYNC_METRIC_PREFIX });
  const registers = [registry];
  const name = (n: string): string => SYNC_METRIC_PREFIX + n;
  const passes = new Counter({ name: name('passes_total'), help: 'Sync passes: published (HOSTDIR swapped), unchanged, rejected (invalid source set, not copied), failed (I/O)', labelNames: ['result'], registers });
  const rejects = new Counter({ name: name('rejected_sets_total'), help: 'Invalid source sets kept off the node, counted once per distinct set, by error code', labelNames: ['code'], registers });
  const valid = new Gauge({ name: name('source_valid'), help: '1 when the current source set is valid and on the node, 0 while it is rejected or copying fails', registers });
  const lastSuccess = new Gauge({ name: name('last_success_timestamp_seconds'), help: 'Unix time of the last pass that left HOSTDIR equal to the sources (published or unchanged)', registers });
  const keys = new Gauge({ name: name('keys'), help: 'Files (keys) in HOSTDIR after the last successful pass', registers });
  const buildInfo = new Gauge({ name: name('build_info'), help: 'Always 1; labels describe the build', labelNames: ['version', 'node_version'], registers });
  buildInfo.set({ version: info.version, node_version: process.version }, 1);
  for (const result of RESULTS) passes.inc({ result }, 0);
  return {
    pass(result, at, count) {
      passes.inc({ result });
      const success = result === 'published' || result === 'unchanged';
      valid.set(success ? 1 : 0);
      if (success) lastSuccess.set(at.getTime() / 1000);
      if (count !== undefined) keys.set(count);
    },
    rejected(codes) {
      for (const code of new Set(codes)) rejects.inc({ code });
    },
    async scrape() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
