// The agent at rest: RSS and CPU after probing 10 endpoints every 2 s for a while, and the time from
// spawn to systemd READY=1, received on our own NOTIFY_SOCKET by a receiver that answers barriers as systemd does.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpServer } from '../test/helpers/servers.js';
import { spawnLogged, waitFor } from '../test/helpers/testbed/index.js';
import { agentDirs, startAgent } from '../test/e2e/agent.js';
import { agentConfigYaml, type ConfigRegistry } from '../test/e2e/config.js';

export interface Footprint {
  readyMs: number;
  rssMiB: number;
  cpuSeconds: number;
  seconds: number;
}

function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** utime + stime of the process, in seconds (USER_HZ is 100 on Linux). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export async function measureFootprint(dir: string, seconds: number): Promise<Footprint> {
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
    const start = process.hrtime.bigint();
    // Watched from before the spawn, so the time is when READY=1 arrived, not when startAgent returned.
    const ready = waitFor('READY=1 on NOTIFY_SOCKET', () => (notify.log().includes('READY=1') ? process.hrtime.bigint() : undefined), 15_000, 2);
    ready.catch(() => undefined);
    const agent = await startAgent({ config, hostsDir, ...agentDirs(join(dir, 'footprint')), env: { NOTIFY_SOCKET: notifySocket } });
    try {
      const readyMs = Number((await ready) - start) / 1e6;
      await sleep(seconds * 1000);
      return { readyMs, rssMiB: rssMiB(agent.process.pid), cpuSeconds: cpuSeconds(agent.process.pid), seconds };
    } finally {
      await agent.stop();
    }
  } finally {
    await notify.stop();
    await Promise.all(servers.map((s) => s.close()));
  }
}
