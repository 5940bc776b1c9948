// Health for the one-shot commands, which have no probe loop: either what the operator asserts, or one
// probe per mirror. Without either, nothing proves a mirror up, so it is written upstream-only (boot-safe).
import type { AgentConfig, HealthView, MirrorState } from '../model.js';
import { probeOnce } from '../health/probe.js';

function probedMirrors(config: AgentConfig) {
  const byUrl = new Map<string, AgentConfig['registries'][number]['mirrors'][number]>();
  for (const registry of config.registries) {
    for (const mirror of registry.mirrors) if (mirror.probe && !byUrl.has(mirror.url)) byUrl.set(mirror.url, mirror);
  }
  return [...byUrl.values()];
}

export function assumedHealth(config: AgentConfig, state: MirrorState): HealthView {
  return new Map(probedMirrors(config).map((m) => [m.url, state]));
}

export async function probeHealthOnce(config: AgentConfig): Promise<HealthView> {
  const results = await Promise.all(
    probedMirrors(config).map(async (m) => [m.url, (await probeOnce({ url: m.url, tls: m.tls }, config.probe.timeoutMs)).ok] as const),
  );
  return new Map(results.map(([url, ok]) => [url, ok ? 'up' : 'down']));
}
