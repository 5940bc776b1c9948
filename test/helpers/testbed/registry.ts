// A real distribution (docker-registry 2.8) on a loopback address: an upstream, or a pull-through cache of
// one. The port is chosen by the OS (addr :0) and read back from the registry's own log line.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { spawnLogged, type ManagedProcess } from './process.js';
import { waitFor } from './wait.js';

export interface RegistryOptions {
  /** Working directory for config, storage and log; created if missing. */
  dir: string;
  /** Loopback IP to listen on, e.g. 127.0.0.1, 127.0.0.9 or ::1. */
  host: string;
  /** Fixed port; default 0 (the OS picks). A restarted cache keeps its address by passing its old port. */
  port?: number;
  /** Makes this a pull-through cache of that registry URL. The upstream must already answer. */
  proxyOf?: string;
}

export interface AccessLogEntry {
  method: string;
  path: string;
  status: number;
  /** e.g. containerd/1.6.20+unknown, or Go-http-client/1.1 for a cache fetching from its upstream. */
  userAgent: string;
}

export interface Registry {
  /** host:port, as written in image references ([::1]:PORT for IPv6). */
  readonly address: string;
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly process: ManagedProcess;
  /** Requests the registry served, from its access log; `since` is a mark from logMark(). */
  requests(since?: number): AccessLogEntry[];
  logMark(): number;
  stop(): Promise<void>;
}

const ACCESS_LINE = /^\S+ - - \[[^\]]+\] "(\w+) (\S+) HTTP\/[\d.]+" (\d{3}) \S+ "[^"]*" "([^"]*)"/;

export function parseAccessLog(text: string): AccessLogEntry[] {
  const entries: AccessLogEntry[] = [];
  for (const line of text.split('\n')) {
    const m = ACCESS_LINE.exec(line);
    if (m) entries.push({ method: m[1] ?? '', path: m[2] ?? '', status: Number(m[3]), userAgent: m[4] ?? '' });
  }
  return entries;
}

/** host:port as URLs and image references write it: an IPv6 literal in brackets. */
function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export async function startRegistry(options: RegistryOptions): Promise<Registry> {
  mkdirSync(join(options.dir, 'data'), { recursive: true });
  const config = {
    version: 0.1,
    log: { level: 'info', accesslog: { disabled: false } },
    storage: { filesystem: { rootdirectory: join(options.dir, 'data') }, delete: { enabled: true } },
    http: { addr: hostPort(options.host, options.port ?? 0) },
    ...(options.proxyOf ? { proxy: { remoteurl: options.proxyOf } } : {}),
  };
  const configPath = join(options.dir, 'config.yml');
  writeFileSync(configPath, stringify(config));
  const proc = spawnLogged('docker-registry', ['serve', configPath], join(options.dir, 'registry.log'));
  try {
    const port = await waitFor(`docker-registry on ${options.host} to listen (log ${proc.logPath})`, () => {
      const m = /msg="listening on (?:[\d.]+|\[[\da-f:]+\]):(\d+)"/.exec(proc.log());
      return m ? Number(m[1]) : undefined;
    });
    const address = hostPort(options.host, port);
    const url = `http://${address}`;
    await waitFor(`${url}/v2/ to answer`, async () => ((await fetch(`${url}/v2/`)).ok ? true : undefined));
    return {
      address,
      url,
      host: options.host,
      port,
      process: proc,
      requests: (since = 0) => parseAccessLog(proc.log().slice(since)),
      logMark: () => proc.log().length,
      stop: () => proc.stop(),
    };
  } catch (error) {
    await proc.kill();
    throw error;
  }
}
