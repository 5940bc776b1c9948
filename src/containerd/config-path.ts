// What CRI `registry.config_path` must be for containerd to read the agent's hosts dir, given what it is now.
// Measured on Debian's 1.6.20 and 2.1.9 (issue 11): a list (`a:b`, upstream 2.x's and EKS's default) is read
// by 1.6 and by the local pull path, but the 2.1+ transfer service, which serves every CRI pull by default,
// reads no directory of a list at all; one directory works everywhere. So a list naming the hosts dir is
// kept only where it is read, and otherwise becomes the hosts dir alone, with the other entries reported (a
// /etc/docker/certs.d user must hear that containerd no longer looks there). Pure.
import { AgentError } from '../errors.js';
import type { ContainerdFacts } from '../model.js';

export interface ConfigPathTarget {
  /** The value config_path must have. */
  value: string;
  /** Directories of a list that the new value leaves out. */
  dropped: string[];
}

export const sameDir = (a: unknown, b: string): boolean => typeof a === 'string' && a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

/** The directories of a config_path value, in containerd's order (it splits at `:`, empty entries ignored). */
export const configPathDirs = (value: string): string[] => value.split(':').filter((d) => d !== '');

/**
 * Whether CRI pulls read every directory of a list: 1.x and 2.0 do; 2.1+ only off the transfer service
 * (`use_local_image_pull = true`). Unknown version: not assumed.
 */
export function listIsRead(facts: ContainerdFacts, useLocalImagePull: boolean): boolean {
  const v = facts.version;
  if (v === undefined) return false;
  return v.major < 2 || (v.major === 2 && v.minor === 0) || useLocalImagePull;
}

export function configPathTarget(
  current: unknown,
  hostsDir: string,
  listRead: boolean,
  where: { file: string; field: string },
): ConfigPathTarget {
  if (typeof current !== 'string' || current === '') return { value: hostsDir, dropped: [] };
  const dirs = configPathDirs(current);
  if (dirs.length <= 1) {
    if (sameDir(dirs[0] ?? '', hostsDir)) return { value: current, dropped: [] };
    throw new AgentError(
      'CMA_CONTAINERD_CONFIG',
      `is ${current}, but the agent writes hosts.toml files to ${hostsDir}; set the agent's hostsDir to ${current}, or set config_path to ${hostsDir} after moving your hosts.toml files there`,
      where,
    );
  }
  const first = dirs[0]!;
  if (!dirs.some((d) => sameDir(d, hostsDir))) {
    throw new AgentError(
      'CMA_CONTAINERD_CONFIG',
      `is the list ${current}, none of which is the agent's hosts dir ${hostsDir}; set the agent's hostsDir to ${first} (the agent then makes config_path one directory wherever containerd ignores lists)`,
      where,
    );
  }
  if (listRead) return { value: current, dropped: [] };
  return { value: hostsDir, dropped: dirs.filter((d) => !sameDir(d, hostsDir)) };
}
