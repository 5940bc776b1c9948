// Reading what the agent wrote, as containerd will: the hosts.toml of one registry, parsed.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'smol-toml';
import { waitFor } from '../helpers/testbed/index.js';

export interface HostsFile {
  raw: string;
  server: string;
  /** [host."…"] URLs in file order: what containerd tries before (or as) the server. */
  hosts: string[];
}

export const hostsFilePath = (hostsDir: string, registry: string): string => join(hostsDir, registry, 'hosts.toml');

export function parseHostsFile(raw: string): HostsFile {
  const doc = parse(raw) as { server?: unknown; host?: Record<string, unknown> };
  if (typeof doc.server !== 'string') throw new Error(`hosts.toml without a server:\n${raw}`);
  return { raw, server: doc.server, hosts: Object.keys(doc.host ?? {}) };
}

export function readHostsFile(hostsDir: string, registry: string): HostsFile | undefined {
  try {
    return parseHostsFile(readFileSync(hostsFilePath(hostsDir, registry), 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The mirrors containerd will try: every host that is not the server itself. */
export const mirrorsOf = (file: HostsFile): string[] => file.hosts.filter((h) => h !== file.server);

export async function waitForMirrors(hostsDir: string, registry: string, mirrors: string[], timeoutMs = 20_000): Promise<HostsFile> {
  return waitFor(
    `${hostsFilePath(hostsDir, registry)} to list mirrors [${mirrors.join(', ')}]`,
    () => {
      const file = readHostsFile(hostsDir, registry);
      return file && mirrorsOf(file).join(' ') === mirrors.join(' ') ? file : undefined;
    },
    timeoutMs,
    20,
  );
}

/**
 * Watches for the first content a file ever has. The agent writes by rename, so the first content seen
 * is the first file it wrote; polling every few ms cannot miss it unless a second write follows within
 * that window, which a boot with a dead cache never does.
 */
export function watchFirstContent(path: string): { first(): Promise<string> } {
  let seen: string | undefined;
  const timer = setInterval(() => {
    try {
      seen = readFileSync(path, 'utf8');
      clearInterval(timer);
    } catch {
      // Not written yet.
    }
  }, 2);
  return {
    first: async () => {
      try {
        return await waitFor(`the first write of ${path}`, () => seen, 20_000, 10);
      } finally {
        clearInterval(timer);
      }
    },
  };
}

/** Every file under the hosts dir, relative path -> identity; temp files included, so leftovers show. */
export function snapshotTree(hostsDir: string): Map<string, string> {
  const tree = new Map<string, string>();
  for (const entry of readdirSync(hostsDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const st = statSync(path);
    tree.set(relative(hostsDir, path), `${st.ino}:${st.mtimeMs}:${st.size}`);
  }
  return tree;
}
