// The unit the sync moves: a flat set of keys (file names) with their bytes and the mode they get on the host.
import { createHash } from 'node:crypto';

export interface SyncFile {
  bytes: Buffer;
  /** 0o600 for a file that looks like it holds a credential, else 0o644 (see classify.ts). */
  mode: number;
}

/** key -> file. Keys never contain `/` and never start with `..` (the kubelet's reserved names). */
export type SyncSet = ReadonlyMap<string, SyncFile>;

/** sha256 over keys, modes and bytes in key order: equal hashes mean the host dir needs no swap. */
export function setHash(set: SyncSet): string {
  const hash = createHash('sha256');
  for (const key of [...set.keys()].sort()) {
    const file = set.get(key)!;
    // Lengths make the concatenation unambiguous: moving bytes from one key to the next changes the hash.
    hash.update(`${Buffer.byteLength(key)}:${key}:${file.mode.toString(8)}:${file.bytes.length}:`);
    hash.update(file.bytes);
  }
  return `sha256:${hash.digest('hex')}`;
}

/** A kubelet-reserved or path-like name, never a key. */
export function isReservedName(name: string): boolean {
  return name.startsWith('..') || name.includes('/') || name === '' || name === '.';
}
