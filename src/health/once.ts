// Which mirrors are probed (the one rule, used by the probe loop and the one-shot commands), and health for
// the one-shot commands, which have no probe loop: either what the operator asserts, or one probe per
// mirror. Without either, nothing proves a mirror up, so it is written upstream-only (boot-safe).
import type { AgentConfig, HealthView, MirrorState } from '../model.js';
import { probeOnce, type ProbeTarget } from './probe.js';

/** Each probed mirror once, by URL, in config order: a mirror shared by registries is probed once. */
export function probeTargets(config: AgentConfig): ProbeTarget[] {
  const byUrl = new Map<string, ProbeTarget>();
  for (const registry of config.registries) {
    for (const mirror of registry.mirrors) {
      if (mirror.probe && !byUrl.has(mirror.url)) byUrl.set(mirror.url, { url: mirror.url, tls: mirror.tls });
    }
  }
  return [...byUrl.values()];
}

export function assumedHealth(config: AgentConfig, state: MirrorState): HealthView {
  return new Map(probeTargets(config).map((target) => [target.url, state]));
}

export async function probeHealthOnce(config: AgentConfig): Promise<HealthView> {
  const results = await Promise.all(
    probeTargets(config).map(async (target) => [target.url, (await probeOnce(target, config.probe.timeoutMs)).ok] as const),
  );
  return new Map(results.map(([url, ok]) => [url, ok ? 'up' : 'down']));
}
