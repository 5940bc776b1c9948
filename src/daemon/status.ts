// The one picture of the agent that /status, the `status` command, metrics and systemd STATUS= all show.
import type { AgentStatus, MirrorStatus, RegistryStatus } from '../observe/status.js';
import type { MirrorHealth } from '../health/state-machine.js';
import { VERSION } from '../version.js';
import type { Agent } from './agent.js';

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

export interface RestartInfo {
  restartPending: boolean;
  reason?: string;
  lastError?: string;
  lastRestartAt?: number;
}

export function buildStatus(agent: Agent, restart: RestartInfo): AgentStatus {
  const config = agent.appliedConfig;
  const health = agent.monitor.snapshot();
  const registries: RegistryStatus[] = (config?.registries ?? []).map((registry) => {
    const mode = agent.modeOf(registry.name);
    return {
      name: registry.name,
      mode: mode?.mode ?? 'upstream',
      since: iso(mode?.since ?? agent.startedAt) as string,
      server: registry.server,
      mirrors: registry.mirrors.map((mirror) => mirrorStatus(mirror.url, mirror.probe, health.get(mirror.url), agent.startedAt)),
    };
  });
  const lastApply = agent.lastApplyInfo;
  const rejection = agent.rejection;
  return {
    version: VERSION,
    pid: process.pid,
    startedAt: iso(agent.startedAt) as string,
    ready: agent.ready,
    hostsDir: config?.hostsDir ?? '',
    registries,
    config: {
      hash: agent.configHash,
      files: agent.configFiles,
      loadedAt: iso(agent.configLoadedAt),
      lastError: rejection?.lines.join('; '),
      lastErrorAt: iso(rejection?.at),
    },
    lastApply:
      lastApply === undefined
        ? undefined
        : {
            at: iso(lastApply.at) as string,
            written: lastApply.result?.written.length ?? 0,
            removed: lastApply.result?.removed.length ?? 0,
            error: lastApply.error,
          },
    containerd: { restartPending: restart.restartPending, reason: restart.reason, lastError: restart.lastError, lastRestartAt: iso(restart.lastRestartAt) },
  };
}

function mirrorStatus(url: string, probe: boolean, health: MirrorHealth | undefined, startedAt: number): MirrorStatus {
  if (!probe) return { url, probe, state: 'up', since: iso(startedAt) as string };
  const last = health?.lastResult;
  return {
    url,
    probe,
    state: health?.state ?? 'unknown',
    since: iso(health?.since ?? startedAt) as string,
    lastProbe:
      last === undefined
        ? undefined
        : { ok: last.ok, status: last.status, error: last.error, durationMs: Math.round(last.durationMs), at: iso(last.at) as string },
  };
}
