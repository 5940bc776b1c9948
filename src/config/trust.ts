// The trust boundary between node-owned sources (--config, flags, environment: root on the node wrote them)
// and cluster-provided ones (--cluster-config: a mounted ConfigMap/Secret, host mode's synced dir), which
// anyone allowed to edit a ConfigMap controls. The agent runs as root, so a cluster source must never make it
// run a program, write outside the hosts dir, or read a node file outside the cluster-provided volumes; such a
// source is refused like any invalid config, naming the file and the field. The state dir and config.toml
// path come only from flags and environment, so no source can move them.
import { realpath } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { AgentError } from '../errors.js';
import { credentialFilesAt } from './dockerconfig.js';
import { formatPath, type PathKey } from './field-path.js';
import type { Plain, Provenance } from './merge.js';

/** Top-level native keys only a node-owned source may set, and why. */
const NODE_ONLY_KEYS: Readonly<Record<string, string>> = {
  restartCommand: 'it names a program the agent runs as root on the node',
  hostsDir: 'it decides where on the node the agent writes',
  kubeletConfig: 'it names a node file the agent reads',
  clusterDNS: "it chooses the addresses a mirror's name resolves to, and so where its credential is sent",
  allowLoopbackAnswers: 'it lets a DNS answer point containerd and its credential at the node itself',
};

/** Whether `file` was read from one of the cluster-provided `sources` (a file source, or a file in a directory one). */
export function isClusterFile(file: string, sources: readonly string[]): boolean {
  const path = resolve(file);
  return sources.some((s) => resolve(s) === path || resolve(s) === dirname(path));
}

/** A cluster file's keys that only a node-owned source may set. */
export function nodeOnlyKeyErrors(file: string, native: Plain): AgentError[] {
  return Object.keys(native)
    .filter((key) => Object.hasOwn(NODE_ONLY_KEYS, key))
    .map(
      (key) =>
        new AgentError(
          'CMA_CONFIG_TRUST',
          `a cluster-provided source (--cluster-config) cannot set this: ${NODE_ONLY_KEYS[key]}; set it in a node-owned --config`,
          { file, field: key },
        ),
    );
}

async function real(path: string): Promise<string | undefined> {
  return realpath(path).catch(() => undefined);
}

function inside(path: string, volume: string): boolean {
  return path === volume || path.startsWith(volume.endsWith(sep) ? volume : volume + sep);
}

/**
 * Every file reference set by a cluster file must resolve, after symlinks, inside a cluster-provided volume
 * (a --cluster-config directory, or the file itself). `credentials` directories are checked with the files
 * in them that would be read. References from node-owned files are not limited.
 */
export async function clusterRefErrors(
  refs: ReadonlyArray<{ path: string; at: PathKey[]; credentials: boolean }>,
  provenance: Provenance,
  clusterSources: readonly string[],
): Promise<AgentError[]> {
  if (clusterSources.length === 0) return [];
  const volumes = (await Promise.all(clusterSources.map(real))).filter((v): v is string => v !== undefined);
  const errors: AgentError[] = [];
  for (const { path, at, credentials } of refs) {
    const file = provenance.fileFor(at);
    if (file === undefined || !isClusterFile(file, clusterSources)) continue;
    const targets = [path, ...(credentials ? await credentialFilesAt(path).catch(() => []) : [])];
    for (const target of targets) {
      const resolved = await real(target);
      if (resolved !== undefined && volumes.some((v) => inside(resolved, v))) continue;
      // Fails closed: a path that cannot be resolved now is refused, never opened by path later (a file
      // absent at this check and present at the read would be read unchecked).
      const where =
        resolved === undefined
          ? `${target} does not resolve (missing, or a dangling link), so it cannot be shown to be inside a cluster-provided volume (${clusterSources.join(', ')})`
          : `${target} resolves to ${resolved}, outside every cluster-provided volume (${clusterSources.join(', ')})`;
      errors.push(
        new AgentError('CMA_CONFIG_TRUST', `${where}: a cluster source may only name files it provides`, { file, field: formatPath(at) }),
      );
      break;
    }
  }
  return errors;
}
