// Prometheus metrics, on a registry of our own so nothing else in the process (or a test) can leak series
// into /metrics. Gauges describing current state are set from AgentStatus; events are counted directly.

import { Counter, Gauge, Histogram, MetricRegistry } from './prometheus.js';
import { redactUrl } from './redact.js';
import type { AgentStatus } from './status-format.js';
import type { RegistryMode } from '../model.js';

const METRIC_PREFIX = 'containerd_mirror_agent_';

// A probe has a 1 s deadline by default: fine resolution below it, a few buckets above for longer timeouts.
const PROBE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2, 5, 10];

export type ApplyOutcome = 'changed' | 'unchanged' | 'failed';

export interface AgentMetrics {
  /** Sets mirror_up, registry_mode, restart_pending and config_rejected, and drops series of registries/mirrors gone from the config. */
  observeStatus(status: AgentStatus): void;
  probe(mirror: string, ok: boolean, durationMs: number): void;
  modeTransition(registry: string, to: RegistryMode): void;
  /** `changed` and `unchanged` are successful applies: they move last_successful_apply_timestamp_seconds. */
  configApply(result: ApplyOutcome, at: Date): void;
  configLoadError(code: string): void;
  containerdRestart(result: 'success' | 'failure'): void;
  /** The text exposition format, and its content type. */
  scrape(): Promise<{ contentType: string; body: string }>;
}

const MODES: RegistryMode[] = ['mirror', 'upstream', 'degraded'];
const PROBE_RESULTS = ['success', 'failure'] as const;

export function createMetrics(info: { version: string }): AgentMetrics {
  const registry = new MetricRegistry();
  const name = (n: string): string => METRIC_PREFIX + n;
  const gauge = <L extends string = never>(n: string, help: string, labelNames: readonly L[] = []): Gauge<L> =>
    registry.register(new Gauge<L>(name(n), help, labelNames));
  const counter = <L extends string>(n: string, help: string, labelNames: readonly L[]): Counter<L> =>
    registry.register(new Counter<L>(name(n), help, labelNames));

  const mirrorUp = gauge('mirror_up', '1 when the mirror passed its probes, 0 when it failed them; absent while unknown or not probed', [
    'registry',
    'mirror',
  ]);
  const registryMode = gauge(
    'registry_mode',
    "1 for the registry's current mode: mirror (hosts.toml lists mirrors), upstream (upstream only) or degraded (mirror-only, no mirror up)",
    ['registry', 'mode'],
  );
  const probeDuration = registry.register(
    new Histogram(name('probe_duration_seconds'), 'Duration of mirror probes (GET /v2/), by result', ['mirror', 'result'], PROBE_BUCKETS),
  );
  const transitions = counter('mode_transitions_total', 'Registry mode changes, by the mode entered', ['registry', 'to']);
  const applies = counter('config_applies_total', 'Reconciles of the hosts files: changed (files written or removed), unchanged, failed', [
    'result',
  ]);
  const loadErrors = counter('config_load_errors_total', 'Config loads rejected, by error code (CMA_CONFIG_*)', ['code']);
  const lastApply = gauge('last_successful_apply_timestamp_seconds', 'Unix time of the last successful apply (changed or unchanged)');
  const buildInfo = gauge('build_info', 'Always 1; labels describe the build', ['version', 'node_version']);
  const restartPending = gauge(
    'restart_pending',
    '1 when config.toml changed and containerd has not been restarted yet (--no-restart or a failed restart)',
  );
  const configRejected = gauge(
    'config_rejected',
    "1 while the newest config (or containerd's config.toml) is rejected and the last good one stays applied",
  );
  const hostsInEffect = gauge(
    'hosts_in_effect',
    "1 when a canary CRI pull proved containerd reads the agent's hosts dir, 0 when it did not; absent while unknown",
    ['containerd_version'],
  );
  const restarts = counter('containerd_restarts_total', 'containerd restarts run by the agent, by result', ['result']);

  buildInfo.set({ version: info.version, node_version: process.version }, 1);
  restartPending.set({}, 0);
  configRejected.set({}, 0);
  for (const result of ['changed', 'unchanged', 'failed']) applies.inc({ result }, 0);
  for (const result of ['success', 'failure']) restarts.inc({ result }, 0);

  // Label sets currently exported, to remove exactly those that vanish from the config.
  let registries = new Set<string>();
  let mirrors = new Map<string, { registry: string; mirror: string }>();
  let probed = new Set<string>();

  return {
    observeStatus(status) {
      const nextRegistries = new Set(status.registries.map((r) => r.name));
      const nextMirrors = new Map<string, { registry: string; mirror: string }>();
      const nextProbed = new Set<string>();
      for (const r of status.registries) {
        for (const mode of MODES) {
          registryMode.set({ registry: r.name, mode }, r.mode === mode ? 1 : 0);
          transitions.inc({ registry: r.name, to: mode }, 0);
        }
        for (const m of r.mirrors) {
          const labels = { registry: r.name, mirror: redactUrl(m.url) };
          const key = JSON.stringify(labels);
          if (m.probe) nextProbed.add(labels.mirror);
          // A named mirror is probed at its addresses: their series go when the name stops resolving to them.
          for (const a of m.addresses ?? []) nextProbed.add(redactUrl(a.url));
          if (m.probe && m.state !== 'unknown') {
            mirrorUp.set(labels, m.state === 'up' ? 1 : 0);
            nextMirrors.set(key, labels);
          }
        }
      }
      for (const gone of registries) {
        if (nextRegistries.has(gone)) continue;
        for (const mode of MODES) {
          registryMode.remove({ registry: gone, mode });
          transitions.remove({ registry: gone, to: mode });
        }
      }
      for (const [key, labels] of mirrors) if (!nextMirrors.has(key)) mirrorUp.remove(labels);
      for (const mirror of probed) {
        if (!nextProbed.has(mirror)) for (const result of PROBE_RESULTS) probeDuration.remove({ mirror, result });
      }
      registries = nextRegistries;
      mirrors = nextMirrors;
      probed = nextProbed;
      restartPending.set({}, status.containerd.restartPending ? 1 : 0);
      hostsInEffect.reset();
      const verdict = status.containerd.hostsInEffect;
      if (verdict !== null) hostsInEffect.set({ containerd_version: status.containerd.version ?? 'unknown' }, verdict ? 1 : 0);
      configRejected.set({}, status.config.lastError === undefined ? 0 : 1);
    },
    probe(mirror, ok, durationMs) {
      probeDuration.observe({ mirror: redactUrl(mirror), result: ok ? 'success' : 'failure' }, durationMs / 1000);
    },
    modeTransition(registryName, to) {
      transitions.inc({ registry: registryName, to });
    },
    configApply(result, at) {
      applies.inc({ result });
      if (result !== 'failed') lastApply.set({}, at.getTime() / 1000);
    },
    configLoadError(code) {
      loadErrors.inc({ code });
    },
    containerdRestart(result) {
      restarts.inc({ result });
    },
    scrape() {
      return Promise.resolve(registry.scrape());
    },
  };
}
