// Health for the one-shot commands (`render`, `apply`), which have no probe loop: either what the operator
// asserts, or one probe per mirror. Without either, nothing proves a mirror up, so it is written upstream-only
// (boot-safe).
import type { AgentConfig, HealthView, MirrorState } from '../model.js';
import { probeOnce } from './probe.js';
import { probeTargets } from './probe-targets.js';

export function assumedHealth(config: AgentConfig, state: MirrorState): HealthView {
  return new Map(probeTargets(config).map((target) => [target.url, state]));
}

/** One probe per mirror: the health to render, and for each mirror that failed, the probe's one-line reason. */
export async function probeHealthOnce(config: AgentConfig): Promise<{ health: HealthView; failures: Map<string, string> }> {
  const results = await Promise.all(
    probeTargets(config).map(async (target) => [target.url, await probeOnce(target, config.probe.timeoutMs)] as const),
  );
  return {
    health: new Map(results.map(([url, result]) => [url, result.ok ? 'up' : 'down'])),
    failures: new Map(results.flatMap(([url, result]) => (result.ok ? [] : [[url, result.error ?? 'probe failed'] as const]))),
  };
}
