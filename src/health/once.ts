// Health for the one-shot commands (`render`, `apply`), which have no probe loop: either what the operator
// asserts, or one probe per mirror. Without either, nothing proves a mirror up, so it is written upstream-only
// (boot-safe).
import type { AgentConfig, HealthView, MirrorState } from '../model.js';
import { probeOnce } from './probe.js';
import { probeTargets } from './probe-targets.js';

export function assumedHealth(config: AgentConfig, state: MirrorState): HealthView {
  return new Map(probeTargets(config).map((target) => [target.url, state]));
}

export async function probeHealthOnce(config: AgentConfig): Promise<HealthView> {
  const results = await Promise.all(
    probeTargets(config).map(async (target) => [target.url, (await probeOnce(target, config.probe.timeoutMs)).ok] as const),
  );
  return new Map(results.map(([url, ok]) => [url, ok ? 'up' : 'down']));
}
