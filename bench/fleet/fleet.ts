// A fleet of real agents on this machine: each the packaged executable (CMA_AGENT_BIN) with its own state
// dir, hosts dir and kubelet-style config volume, all pointing at one cache. Started a few at a time (a
// start costs a few hundred ms of CPU, and 2 cores are shared), stopped each by its own pid.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentDirs, startAgent, type Agent } from '../../test/e2e/agent.js';
import { agentConfigYaml } from '../../test/e2e/config.js';
import { mirrorsOf, readHostsFile } from '../../test/e2e/hosts-files.js';
import { createKubeletVolume, type KubeletVolume } from '../../test/helpers/kubelet-volume.js';

export interface Member {
  readonly index: number;
  readonly agent: Agent;
  readonly hostsDir: string;
  readonly volume: KubeletVolume;
  readonly logPath: string;
}

export const CONFIG_KEY = 'config.yaml';

export async function startFleet(root: string, size: number, yaml: (hostsDir: string) => string, batch = 5): Promise<Member[]> {
  const members: Member[] = [];
  try {
    for (let first = 0; first < size; first += batch) {
      const started = await Promise.all(
        Array.from({ length: Math.min(batch, size - first) }, async (_, i): Promise<Member> => {
          const index = first + i;
          const dir = join(root, `agent-${index}`);
          const hostsDir = join(dir, 'certs.d');
          const volume = await createKubeletVolume(join(dir, 'config'), { [CONFIG_KEY]: yaml(hostsDir) });
          const dirs = agentDirs(dir);
          const agent = await startAgent({ config: volume.dir, hostsDir, ...dirs });
          return { index, agent, hostsDir, volume, logPath: dirs.logPath };
        }),
      );
      members.push(...started);
    }
  } catch (error) {
    await stopFleet(members);
    throw error;
  }
  return members;
}

export async function stopFleet(members: readonly Member[]): Promise<void> {
  await Promise.all(members.map((m) => m.agent.stop()));
}

/** The config every member starts with: one registry, mirrored by the cache, default probe settings. */
export const fleetConfig =
  (registry: string, server: string, cache: string) =>
  (hostsDir: string): string =>
    agentConfigYaml(hostsDir, { [registry]: { server, mirrors: [cache] } });

/** Whether the member's hosts.toml for `registry` lists the cache (mirror mode) right now. */
export function listsMirror(member: Member, registry: string): boolean | undefined {
  const file = readHostsFile(member.hostsDir, registry);
  return file === undefined ? undefined : mirrorsOf(file).length > 0;
}

/** How many times the agent has logged `event` so far (only lines also holding `also`, when given). */
export function eventsSoFar(member: Member, event: string, also?: string): number {
  return readFileSync(member.logPath, 'utf8')
    .split('\n')
    .filter((l) => l.includes(`"event":"${event}"`) && (also === undefined || l.includes(also))).length;
}

/** Rewrites of hosts files so far, by the agent's own log (one `file_written` event per file written). */
export const writesSoFar = (member: Member): number => eventsSoFar(member, 'file_written');

const kB = (text: string, field: string): number => {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) / 1024 : Number.NaN;
};

/** Memory (MiB: RSS, its anonymous part, PSS) and CPU seconds (user + system) of one process, from /proc. */
export function usage(pid: number): { rssMiB: number; anonMiB: number; pssMiB: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    rssMiB: kB(status, 'VmRSS'),
    anonMiB: kB(status, 'RssAnon'),
    pssMiB: kB(rollup, 'Pss'),
    cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100,
  };
}
