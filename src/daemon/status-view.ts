// The one picture of the agent that /status, the `status` command, metrics and systemd STATUS= all show:
// a pure function of the reconcile loop's snapshot, the health monitor's snapshot and the restart policy's
// state, so it is tested without a running agent.
import type { AgentStatus, MirrorStatus, RegistryStatus } from '../observe/status-format.js';
import type { MirrorHealth } from '../health/state-machine.js';
import type { RestartInfo } from '../containerd/restart.js';
import type { ReconcilerSnapshot } from './reconciler.js';
import type { HostsCheckView } from './hosts-check.js';
import { VERSION } from '../version.js';

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrUndefined = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : iso(ms));

export function buildStatus(
  loop: ReconcilerSnapshot,
  health: ReadonlyMap<string, MirrorHealth>,
  restart: RestartInfo,
  pid: number = process.pid,
  hosts: HostsCheckView = { version: null, hostsInEffect: null },
): AgentStatus {
  const registries: RegistryStatus[] = (loop.config?.registries ?? []).map((registry) => {
    const mode = loop.modes.get(registry.name);
    return {
      name: registry.name,
      mode: mode?.mode ?? 'upstream',
      since: iso(mode?.since ?? loop.startedAt),
      server: registry.server,
      mirrors: registry.mirrors.map((mirror) => mirrorStatus(mirror.url, mirror.probe, health.get(mirror.url), loop.startedAt)),
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
