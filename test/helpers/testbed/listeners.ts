// The bed's last line of defence before it starts a containerd: what `containerd --config F config dump` says
// the daemon will use (after version migration, drop-ins and plugin tables that win over top-level ones) must
// keep every listener, and root and state, inside the bed's own dir. On 2.3 a version 4 file's
// `[plugins."io.containerd.server.v1.grpc"] address` wins over the top-level `[grpc]`: a bed that rewrote only
// the latter made a "private" containerd listen on /run/containerd/containerd.sock (issue 23).
import { execFile } from 'node:child_process';
import { isAbsolute, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'smol-toml';
import type { ContainerdBuild } from './build.js';

const run = promisify(execFile);
type Doc = Record<string, unknown>;

const at = (doc: Doc, path: readonly string[]): unknown =>
  path.reduce<unknown>((cur, key) => (typeof cur === 'object' && cur !== null ? (cur as Doc)[key] : undefined), doc);

/** Where a listener of the dump listens: `[table path, key]`, each read where present. */
const LISTENERS: ReadonlyArray<readonly string[]> = [
  ['grpc', 'address'],
  ['grpc', 'tcp_address'],
  ['ttrpc', 'address'],
  ['debug', 'address'],
  ['metrics', 'address'],
  ...['grpc', 'grpc-tcp', 'ttrpc', 'debug', 'metrics'].map((p) => ['plugins', `io.containerd.server.v1.${p}`, 'address']),
  ['plugins', 'io.containerd.shim.v1.manager', 'socket_dir'],
];

/** Every place of `dump` that is outside `dir`, as `key = value`; empty when all are private. */
export function listenersOutside(dump: Doc, dir: string): string[] {
  const inside = (path: string): boolean => {
    const rel = relative(resolve(dir), resolve(path.replace(/^unix:\/\//, '')));
    return isAbsolute(path.replace(/^unix:\/\//, '')) && rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  };
  const outside: string[] = [];
  const check = (path: readonly string[], value: unknown, emptyIsOff: boolean): void => {
    if (value === undefined || (value === '' && emptyIsOff)) return;
    if (typeof value !== 'string' || !inside(value)) outside.push(`${path.join('.')} = ${JSON.stringify(value)}`);
  };
  for (const path of LISTENERS) {
    // An empty socket_dir is the host's default; an empty address is no listener (ttrpc: the gRPC one's + .ttrpc).
    if (at(dump, path.slice(0, -1)) !== undefined) check(path, at(dump, path), path.at(-1) !== 'socket_dir');
  }
  const nri = at(dump, ['plugins', 'io.containerd.nri.v1.nri']) as Doc | undefined;
  if (nri !== undefined && nri.disable !== true) check(['plugins', 'io.containerd.nri.v1.nri', 'socket_path'], nri.socket_path, false);
  for (const key of ['root', 'state']) check([key], dump[key], false);
  // The CRI stream server listens on TCP: only an ephemeral loopback port cannot collide with anything.
  const cri = at(dump, ['plugins', 'io.containerd.grpc.v1.cri']) as Doc | undefined;
  if (cri !== undefined && !(cri.stream_server_address === '127.0.0.1' && String(cri.stream_server_port) === '0'))
    outside.push(
      `plugins.io.containerd.grpc.v1.cri.stream_server = ${String(cri.stream_server_address)}:${String(cri.stream_server_port)}`,
    );
  return outside;
}

/** Rejects, naming each one, when the daemon `config` would start with would listen (or keep state) outside `dir`. */
export async function checkListenersPrivate(build: ContainerdBuild, config: string, dir: string): Promise<void> {
  let stdout: string;
  try {
    ({ stdout } = await run(build.containerd, ['--config', config, 'config', 'dump'], { timeout: 30_000, maxBuffer: 16 << 20 }));
  } catch (error) {
    throw new Error(
      `not starting containerd: \`${build.containerd} --config ${config} config dump\` failed: ${String((error as { stderr?: string }).stderr ?? error)}`,
      {
        cause: error,
      },
    );
  }
  const outside = listenersOutside(parse(stdout), dir);
  if (outside.length > 0)
    throw new Error(`not starting containerd on ${config}: config dump shows places outside ${dir}: ${outside.join(', ')}`);
}
