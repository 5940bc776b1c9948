// One probe round of a mirror named by a cluster host name: resolve the name, follow its address set, and
// probe each address, so each has its own health and is written only once proven up.
// Shaped so: a Service deleted and recreated gets a new address; the round that sees it drops the old address
// at once (nothing stale is written) and starts the new one `unknown`, so the monitor probes it at the quick
// `unknown` cadence and it is written within the same probe interval. A name that does not resolve is a
// failed probe of every address it had, with the DNS reason, so the usual thresholds take it down (and a
// single lost DNS answer does not flip the registry).
import { addressUrl } from '../address-url.js';
import type { MirrorState, ProbeSettings } from '../model.js';
import type { ProbeResult, ProbeTarget } from './probe.js';
import type { NameResolver, Resolution } from './resolver.js';
import { initialHealth, type MirrorHealth } from './state-machine.js';

/** A mirror as the probe loop sees it; `dnsName` set: resolved at each probe, its addresses probed. */
export interface MirrorTarget extends ProbeTarget {
  dnsName?: string;
}

export interface NamedState {
  /** The last answer or failure; undefined until the first round ends. */
  resolution?: Resolution;
  /** Address URL -> its health, in the order written (the resolver's stable order). */
  addresses: Map<string, MirrorHealth>;
  /**
   * The addresses that have been `up` since they appeared in the answer: only these are ever written, even
   * on a mirror-only registry, which writes them down or up (an unprobed address never gets the credential).
   */
  proven: Set<string>;
}

export interface NamedRound {
  /** One result per address still known; a DNS failure is a failed result for each. */
  results: Array<[string, ProbeResult]>;
  /** The address set or the failure reason changed: render again, log it. */
  changed: boolean;
}

export interface RoundDeps {
  resolver: NameResolver;
  probe: (target: ProbeTarget) => Promise<ProbeResult>;
  settings: ProbeSettings;
  now: () => number;
}

/**
 * Half an interval: steady-state probes are at least 0.8 intervals apart, so each asks the DNS again and a
 * changed record is seen by the first probe after the change.
 */
function resolutionCeilingMs(settings: ProbeSettings): number {
  return settings.intervalMs / 2;
}

export async function runNamedRound(target: MirrorTarget & { dnsName: string }, state: NamedState, deps: RoundDeps): Promise<NamedRound> {
  const resolution = await deps.resolver.resolve(target.dnsName, resolutionCeilingMs(deps.settings));
  const previous = state.resolution;
  state.resolution = resolution;
  if (resolution.error !== undefined) {
    const failed: ProbeResult = { ok: false, error: resolution.error, durationMs: 0, at: resolution.at };
    return { results: [...state.addresses.keys()].map((url) => [url, failed]), changed: previous?.error !== resolution.error };
  }
  const urls = resolution.addresses.map((address) => addressUrl(target.url, address));
  const changed =
    previous?.error !== undefined || previous?.note !== resolution.note || [...state.addresses.keys()].join(' ') !== urls.join(' ');
  state.addresses = new Map(urls.map((url) => [url, state.addresses.get(url) ?? initialHealth(deps.now())]));
  state.proven = new Set(urls.filter((url) => state.proven.has(url)));
  const results = await Promise.all(
    urls.map(async (url): Promise<[string, ProbeResult]> => [url, await deps.probe({ url, tls: target.tls })]),
  );
  return { results, changed };
}

/** `unknown` while any address still has to be proven, so the monitor keeps the quick cadence. */
export function namedCadenceState(state: NamedState): MirrorState {
  return [...state.addresses.values()].some((h) => h.state === 'unknown') ? 'unknown' : 'up';
}
