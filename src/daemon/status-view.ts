// The one picture of the agent that /status, the `status` command, metrics and systemd STATUS= all show:
// a pure function of the reconcile loop's snapshot, the health monitor's snapshot and the restart policy's
// state, so it is tested without a running agent.
import type { AddressStatus, AgentStatus, MirrorStatus, RegistryStatus } from '../observe/status-format.js';
import type { NamedSnapshot } from '../health/monitor.js';
import type { MirrorHealth } from '../health/state-machine.js';
import type { RestartInfo } from '../containerd/restart.js';
import type { ModeEntry } from './registry-modes.js';
import type { ApplyResult } from '../apply/apply.js';
import type { AgentConfig } from '../model.js';
import type { HostsCheckView } from './hosts-check.js';
import { VERSION } from '../version.js';
import { cleartextCredentialWarnings } from '../cleartext-credentials.js';

/** Why a config (or config.toml) was refused, as operator lines and their codes, and when. */
export interface Refusal {
  lines: string[];
  codes: string[];
  at: number;
}

export interface LastApply {
  at: number;
  result?: ApplyResult;
  error?: string;
}

/** Everything the status view shows of the reconcile loop, as plain data. */
export interface ReconcilerSnapshot {
  startedAt: number;
  /** A valid config has been applied to disk, and the last apply did not fail (a full disk, a lost claim). */
  ready: boolean;
  config: AgentConfig | undefined;
  configHash: string | undefined;
  configFiles: string[];
  /** The config files read from cluster-provided sources. */
  clusterFiles: string[];
  configLoadedAt: number | undefined;
  /** The config's refusal, else config.toml's. */
  refusal: Refusal | undefined;
  lastApply: LastApply | undefined;
  modes: ReadonlyMap<string, ModeEntry>;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrUndefined = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : iso(ms));

export function buildStatus(
  loop: ReconcilerSnapshot,
  health: ReadonlyMap<string, MirrorHealth>,
  restart: RestartInfo,
  pid: number = process.pid,
  named: ReadonlyMap<string, NamedSnapshot> = new Map(),
  hosts: HostsCheckView = { version: null, hostsInEffect: null },
): AgentStatus {
  const registries: RegistryStatus[] = (loop.config?.registries ?? []).map((registry) => {
    const mode = loop.modes.get(registry.name);
    return {
      name: registry.name,
      mode: mode?.mode ?? 'upstream',
      since: iso(mode?.since ?? loop.startedAt),
      ...(registry.server === undefined ? {} : { server: registry.server }),
      mirrors: registry.mirrors.map((mirror) => {
        const resolved = mirror.dnsName === undefined ? undefined : named.get(mirror.url);
        if (mirror.dnsName !== undefined)
          return namedStatus(mirror.url, mirror.dnsName, resolved, health, !registry.fallback, loop.startedAt);
        return mirrorStatus(mirror.url, mirror.probe, health.get(mirror.url), loop.startedAt);
      }),
    };
  });
  const { lastApply, refusal } = loop;
  return {
    version: VERSION,
    pid,
    startedAt: iso(loop.startedAt),
    ready: loop.ready,
    hostsDir: loop.config?.hostsDir ?? '',
    registries,
    config: {
      hash: loop.configHash,
      files: loop.configFiles,
      clusterFiles: loop.clusterFiles,
      loadedAt: isoOrUndefined(loop.configLoadedAt),
      lastError: refusal?.lines.join('; '),
      lastErrorAt: isoOrUndefined(refusal?.at),
    },
    lastApply:
      lastApply === undefined
        ? undefined
        : {
            at: iso(lastApply.at),
            written: lastApply.result?.written.length ?? 0,
            removed: lastApply.result?.removed.length ?? 0,
            error: lastApply.error,
          },
    containerd: {
      version: hosts.version,
      hostsInEffect: hosts.hostsInEffect,
      checkedAt: isoOrUndefined(hosts.checkedAt),
      reason: hosts.reason,
      restartPending: restart.restartPending,
      restartReason: restart.reason,
      lastError: restart.lastError,
      lastRestartAt: isoOrUndefined(restart.lastRestartAt),
    },
    warnings: cleartextCredentialWarnings(loop.config).map((w) => w.message),
  };
}

/** A named mirror: its name, its last answer, and each address as a mirror of its own. */
function namedStatus(
  url: string,
  name: string,
  resolved: NamedSnapshot | undefined,
  health: ReadonlyMap<string, MirrorHealth>,
  mirrorOnly: boolean,
  startedAt: number,
): MirrorStatus {
  const addresses: AddressStatus[] = (resolved?.addresses ?? []).map((address) => {
    const { state, since, lastProbe } = mirrorStatus(address, true, health.get(address), startedAt);
    // A mirror-only registry writes its proven addresses whatever their health; never an unproven one.
    const written = mirrorOnly ? (resolved?.proven.includes(address) ?? false) : state === 'up';
    return { url: address, state, since, written, ...(lastProbe === undefined ? {} : { lastProbe }) };
  });
  const resolution = resolved?.resolution;
  const states = addresses.map((a) => a.state);
  const state = states.includes('up')
    ? 'up'
    : resolution?.error !== undefined || (states.length > 0 && states.every((s) => s === 'down'))
      ? 'down'
      : 'unknown';
  const changes = addresses.filter((a) => a.state === state).map((a) => Date.parse(a.since));
  return {
    url,
    probe: true,
    state,
    since: iso(changes.length > 0 ? Math.min(...changes) : (resolution?.at ?? startedAt)),
    name,
    ...(resolution === undefined ? {} : { resolvedAt: iso(resolution.at) }),
    ...(resolution?.error === undefined ? {} : { resolveError: resolution.error }),
    ...(resolution?.note === undefined ? {} : { resolveNote: resolution.note }),
    addresses,
  };
}

/** A mirror that is not probed is always written, so it shows as up since the start. */
function mirrorStatus(url: string, probe: boolean, health: MirrorHealth | undefined, startedAt: number): MirrorStatus {
  if (!probe) return { url, probe, state: 'up', since: iso(startedAt) };
  const last = health?.lastResult;
  return {
    url,
    probe,
    state: health?.state ?? 'unknown',
    since: iso(health?.since ?? startedAt),
    lastProbe:
      last === undefined
        ? undefined
        : { ok: last.ok, status: last.status, error: last.error, durationMs: Math.round(last.durationMs), at: iso(last.at) },
  };
}
