// A real DNS server on loopback (Debian's dnsmasq) whose records a test changes while it runs, the way a
// cluster DNS answers for a Service that is deleted and recreated.
// Shaped so: records live in a `--hostsdir`, which dnsmasq re-reads by itself (inotify) when a file is renamed
// into it, so a record change is one atomic rename with no signal; names under `--local` answer NXDOMAIN
// when no record exists, as CoreDNS does for a deleted Service. The port is picked free (TCP and UDP) and kept
// across stop/start, so "the DNS server is back" means the same address again.
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, isIPv6 } from 'node:net';
import { join } from 'node:path';
import { Resolver } from 'node:dns/promises';
import { assertLoopback } from './servers.js';
import { spawnLogged, type ManagedProcess } from './testbed/process.js';
import { waitFor } from './testbed/wait.js';

export interface Dnsmasq {
  /** `IP:port`, as `clusterDNS` takes it. */
  readonly server: string;
  /** Sets the addresses of `name` (A and AAAA by address family); none = the name does not exist (NXDOMAIN). */
  setRecord(name: string, addresses: string[]): Promise<void>;
  /** Stops the server; the port stays reserved for start(). */
  stop(): Promise<void>;
  /** Starts it again on the same address and port. */
  start(): Promise<void>;
}

export interface DnsmasqOptions {
  dir: string;
  /** Loopback address to listen on; default 127.0.0.53. */
  host?: string;
  /** The zone answered locally (NXDOMAIN for unknown names); default cluster.local. */
  zone?: string;
  /** TTL of every answer, seconds; default 1. */
  ttlSeconds?: number;
}

/** Why dnsmasq cannot run here, or undefined. */
export function dnsmasqUnavailable(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v dnsmasq || test -x /usr/sbin/dnsmasq'], { stdio: 'ignore' }).status === 0;
  return found ? undefined : 'missing dnsmasq (make test-deps installs dnsmasq-base as root on Debian)';
}

async function freePort(host: string): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const tcp = createServer();
    const port = await new Promise<number>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(0, host, () => resolve((tcp.address() as { port: number }).port));
    });
    const udp = createSocket('udp4');
    const udpFree = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, host, () => resolve(true));
    });
    udp.close();
    await new Promise((resolve) => tcp.close(resolve));
    if (udpFree) return port;
  }
  throw new Error(`no port free for both TCP and UDP on ${host}`);
}

export async function startDnsmasq(options: DnsmasqOptions): Promise<Dnsmasq> {
  const host = options.host ?? '127.0.0.53';
  assertLoopback(host);
  const zone = options.zone ?? 'cluster.local';
  const records = join(options.dir, 'records');
  mkdirSync(records, { recursive: true });
  const port = await freePort(host);
  const server = `${host}:${port}`;
  const binary = spawnSync('sh', ['-c', 'command -v dnsmasq'], { encoding: 'utf8' }).stdout.trim() || '/usr/sbin/dnsmasq';
  const args = [
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--no-resolv',
    '--no-hosts',
    '--no-poll',
    `--hostsdir=${records}`,
    `--listen-address=${host}`,
    '--bind-interfaces',
    `--port=${port}`,
    `--local=/${zone}/`,
    `--local-ttl=${options.ttlSeconds ?? 1}`,
    '--pid-file=',
    '--log-queries',
    '--log-facility=-',
    // As root dnsmasq drops to `nobody`, who cannot read a 0700 temp dir.
    ...(process.getuid?.() === 0 ? ['--user=root'] : []),
  ];
  let proc: ManagedProcess | undefined;
  let generation = 0;
  const resolver = new Resolver({ timeout: 300, tries: 1 });
  resolver.setServers([server]);

  const start = async (): Promise<void> => {
    generation++;
    proc = spawnLogged(binary, args, join(options.dir, `dnsmasq-${generation}.log`));
    const started = proc;
    // Answers (even NXDOMAIN) once it serves; refused while it is not listening yet.
    await waitFor(`dnsmasq on ${server} (log ${started.logPath})`, async () => {
      try {
        await resolver.resolve4(`cma-ready.${zone}`);
        return true;
      } catch (err) {
        return (err as { code?: string }).code === 'ENOTFOUND' ? true : undefined;
      }
    });
  };

  let fileCount = 0;
  const setRecord = async (name: string, addresses: string[]): Promise<void> => {
    const file = join(records, name);
    const tmp = join(options.dir, `.record-${fileCount++}`);
    writeFileSync(tmp, addresses.map((a) => `${a} ${name}\n`).join(''));
    renameSync(tmp, file);
    // dnsmasq reads the file at its inotify event: wait until it answers with exactly the new set, each
    // address compared in one spelling (`0:0:0:0:0:0:0:1` is `::1`, `::ffff:127.0.0.1` is `::ffff:7f00:1`).
    const set = (list: string[]): string =>
      [...new Set(list.map((a) => (isIPv6(a) ? new URL(`http://[${a}]`).hostname : a)))].sort().join(',');
    const want = set(addresses);
    await waitFor(`dnsmasq to serve ${name} = [${want}]`, async () => {
      const got = [...(await resolver.resolve4(name).catch(() => [])), ...(await resolver.resolve6(name).catch(() => []))];
      return set(got) === want ? true : undefined;
    });
  };

  await start();
  return {
    server,
    setRecord,
    start,
    stop: async () => {
      await proc?.stop();
      proc = undefined;
    },
  };
}

/**
 * A node-owned agent config whose named mirrors are resolved through `dns`: the test bed's Service addresses
 * are loopback ones, which only a node-owned `allowLoopbackAnswers` lets through; no kubelet file is read.
 */
export function namedMirrorConfig(o: { root: string; hostsDir: string; dns: Dnsmasq; intervalMs: number; registries: string[] }): string {
  return [
    `hostsDir: ${o.hostsDir}`,
    `clusterDNS: ["${o.dns.server}"]`,
    `kubeletConfig: ${join(o.root, 'no-kubelet.yaml')}`,
    'allowLoopbackAnswers: true',
    `probe: {interval: ${o.intervalMs}ms, timeout: 300ms, failureThreshold: 2, successThreshold: 2}`,
    'registries:',
    ...o.registries.map((r) => `  ${r}`),
  ].join('\n');
}
