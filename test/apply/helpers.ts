// A full recursive listing to compare trees byte-for-byte, modes included.
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { RenderedFile, RenderedTree } from '../../src/model.js';
import { OWNER_MARKER } from '../../src/ownership.js';

export function owned(body: string): string {
  return `${OWNER_MARKER}\n${body}`;
}

/** `{registry: file}` -> the rendered tree under hostsDir. */
export function treeOf(hostsDir: string, files: Record<string, RenderedFile>): RenderedTree {
  return new Map(Object.entries(files).map(([registry, file]) => [join(hostsDir, registry, 'hosts.toml'), file]));
}

export interface Listed {
  type: 'file' | 'dir' | 'symlink' | 'other';
  mode: number;
  content?: string;
}

/** Every entry below `root` (root itself as '.'), with type, mode and content or link target. */
export async function listing(root: string): Promise<Record<string, Listed>> {
  const out: Record<string, Listed> = {};
  const paths = [root, ...(await readdir(root, { recursive: true })).map((p) => join(root, p))];
  for (const path of paths.sort()) {
    const st = await lstat(path);
    const entry: Listed = {
      type: st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other',
      mode: st.mode & 0o7777,
    };
    if (entry.type === 'file') entry.content = (await readFile(path)).toString('base64');
    if (entry.type === 'symlink') entry.content = await readlink(path);
    out[relative(root, path) || '.'] = entry;
  }
  return out;
}

/** inode and mtime of each path: unchanged ones were not written, not even touched. */
export async function stamps(paths: Iterable<string>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const path of paths) {
    const st = await lstat(path, { bigint: true });
    out[path] = `${st.ino}:${st.mtimeNs}:${st.ctimeNs}`;
  }
  return out;
}
