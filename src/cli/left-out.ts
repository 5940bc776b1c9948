// The one-shot commands (`render`, `apply`) say which configured mirrors their files leave out, and why, one
// line each: a file written upstream-only right after `render` showed the mirror must not look like a bug.
// Asks render's own rule which mirrors are written, so the lines cannot disagree with the files.
import type { AgentConfig, HealthView } from '../model.js';
import { activeMirrors } from '../render/mirrors.js';

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
    // What render writes (render/mirrors.ts); a DNS-named mirror of a registry that may fall back is written only
    // as the addresses `run` resolves (render/named-mirrors.ts), so a one-shot command leaves it out.
    const written = new Set(
      activeMirrors(registry, health)
        .filter((m) => !(registry.fallback && m.dnsName !== undefined))
        .map((m) => m.url),
    );
    for (const mirror of new Map(registry.mirrors.map((m) => [m.url, m])).values()) {
      if (written.has(mirror.url)) continue;
      const reason =
        mirror.dnsName !== undefined
          ? NAMED_REASON
          : why.assumed === 'down'
            ? 'assumed down (--assume-mirrors down)'
            : `its probe failed (${why.failures?.get(mirror.url) ?? 'no answer'}); \`run\` adds it once it answers`;
      out.push({ registry: registry.name, url: mirror.url, reason, upstreamOnly: written.size === 0 });
    }
  }
  return out;
}

export function formatLeftOut(left: LeftOutMirror): string {
  const effect = left.upstreamOnly ? `${left.registry} is written upstream-only` : 'its other mirrors are written';
  return `left out ${left.url} for ${left.registry}: ${left.reason}; ${effect}`;
}
