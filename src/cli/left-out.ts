// The one-shot commands (`render`, `apply`) say which configured mirrors their files leave out, and why, one
// line each: a file written upstream-only right after `render` showed the mirror must not look like a bug.
// Mirrors the rule of render/mirrors.ts and render/named-mirrors.ts from the outside: only a registry that may
// fall back drops a mirror; a mirror-only registry lists every mirror whatever its health.
import type { AgentConfig, HealthView } from '../model.js';

export interface LeftOutMirror {
  registry: string;
  url: string;
  reason: string;
  /** Every mirror of the registry is left out: its file sends pulls upstream. */
  upstreamOnly: boolean;
}

const NAMED_REASON = 'named by a cluster DNS name, which only `run` resolves (through clusterDNS) and writes as addresses';

/**
 * @param failures the probe's one-line reason per mirror URL that failed (apply); absent for assumed health.
 * @param assumed the operator's `--assume-mirrors` value when health was asserted rather than probed.
 */
export function leftOutMirrors(
  config: AgentConfig,
  health: HealthView,
  why: { failures?: ReadonlyMap<string, string>; assumed?: 'up' | 'down' },
): LeftOutMirror[] {
  const out: LeftOutMirror[] = [];
  for (const registry of config.registries) {
    if (!registry.fallback) continue;
    const seen = new Set<string>();
    const left: Array<Omit<LeftOutMirror, 'upstreamOnly'>> = [];
    for (const mirror of registry.mirrors) {
      if (seen.has(mirror.url)) continue;
      seen.add(mirror.url);
      let reason: string | undefined;
      if (mirror.dnsName !== undefined) reason = NAMED_REASON;
      else if (mirror.probe && health.get(mirror.url) !== 'up') {
        reason =
          why.assumed === 'down'
            ? 'assumed down (--assume-mirrors down)'
            : `its probe failed (${why.failures?.get(mirror.url) ?? 'no answer'}); \`run\` adds it once it answers`;
      }
      if (reason !== undefined) left.push({ registry: registry.name, url: mirror.url, reason });
    }
    const upstreamOnly = left.length === seen.size;
    out.push(...left.map((l) => ({ ...l, upstreamOnly })));
  }
  return out;
}

export function formatLeftOut(left: LeftOutMirror): string {
  const effect = left.upstreamOnly ? `${left.registry} is written upstream-only` : 'its other mirrors are written';
  return `left out ${left.url} for ${left.registry}: ${left.reason}; ${effect}`;
}
