// Reading --config sources. A directory is a mounted Secret/ConfigMap: `key -> ..data/key` symlinks, with
// `..data` swapped atomically by the kubelet, so a key can be missing for a moment while we list it.
import { open, readdir, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentError } from '../errors.js';

export const MAX_CONFIG_BYTES = 1024 * 1024;
export const CONFIG_EXTENSIONS = /\.(ya?ml|json|toml)$/;

export interface SourceFile {
  path: string;
  bytes: Buffer;
}

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

class Vanished extends Error {}

/**
 * Reads a regular file of at most MAX_CONFIG_BYTES. Never reads more than one byte past the limit, so a
 * huge or endless file costs nothing. `Vanished` when it does not exist (any more).
 */
export async function readLimited(path: string, label = 'config file'): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') throw new Vanished();
    throw new AgentError('CMA_CONFIG_READ', `cannot read the ${label} (${errnoOf(err) ?? 'error'})`, { file: path, cause: err });
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new AgentError('CMA_CONFIG_READ', `the ${label} is not a regular file`, { file: path });
    if (info.size > MAX_CONFIG_BYTES) throw tooLarge(path, label);
    const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_CONFIG_BYTES) throw tooLarge(path, label);
    }
    return buffer.subarray(0, length);
  } catch (err) {
    if (err instanceof AgentError) throw err;
    throw new AgentError('CMA_CONFIG_READ', `cannot read the ${label} (${errnoOf(err) ?? 'error'})`, { file: path, cause: err });
  } finally {
    await handle.close();
  }
}

function tooLarge(path: string, label: string): AgentError {
  return new AgentError('CMA_CONFIG_TOO_LARGE', `the ${label} is larger than ${MAX_CONFIG_BYTES} bytes`, { file: path });
}

/** Config files of a mounted volume: non-hidden, known extension, lexical order, symlinks followed. */
async function readDirectory(dir: string, tolerateVanished: boolean, errors: AgentError[]): Promise<SourceFile[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    throw new AgentError('CMA_CONFIG_READ', `cannot list the directory (${errnoOf(err) ?? 'error'})`, { file: dir, cause: err });
  }
  const names = entries.filter((n) => !n.startsWith('.') && CONFIG_EXTENSIONS.test(n)).sort();
  const files: SourceFile[] = [];
  const found: AgentError[] = [];
  for (const name of names) {
    const path = join(dir, name);
    try {
      if ((await stat(path)).isDirectory()) continue;
      files.push({ path, bytes: await readLimited(path) });
    } catch (err) {
      if (err instanceof AgentError) found.push(err);
      else if (!(err instanceof Vanished || errnoOf(err) === 'ENOENT')) throw err;
      else if (!tolerateVanished) throw new Vanished();
    }
  }
  errors.push(...found);
  return files;
}

async function readSource(source: string, errors: AgentError[]): Promise<SourceFile[]> {
  const missing = new AgentError('CMA_CONFIG_MISSING', 'the --config path does not exist', { file: source });
  let info;
  try {
    info = await stat(source);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') throw missing;
    throw new AgentError('CMA_CONFIG_READ', `cannot read the --config path (${errnoOf(err) ?? 'error'})`, { file: source, cause: err });
  }
  if (!info.isDirectory()) {
    if (!CONFIG_EXTENSIONS.test(source)) {
      throw new AgentError('CMA_CONFIG_READ', 'cannot tell the format: the file name must end in .yaml, .yml, .json or .toml', { file: source });
    }
    try {
      return [{ path: source, bytes: await readLimited(source) }];
    } catch (err) {
      throw err instanceof Vanished ? missing : err;
    }
  }
  // Keys are read one by one through `key -> ..data/key`: a kubelet `..data` swap in between would mix two
  // generations. Read until `..data` points at the same generation before and after (a bounded number of
  // tries; the last one tolerates keys that vanished mid-read).
  for (let attempt = 0; ; attempt++) {
    const last = attempt >= MAX_GENERATION_READS - 1;
    const before = await dataGeneration(source);
    const found: AgentError[] = [];
    let files: SourceFile[];
    try {
      files = await readDirectory(source, last, found);
    } catch (err) {
      if (!(err instanceof Vanished)) throw err;
      continue;
    }
    if (before === undefined || last || (await dataGeneration(source)) === before) {
      errors.push(...found);
      return files;
    }
  }
}

const MAX_GENERATION_READS = 5;

/** Where a kubelet volume's `..data` points, or undefined for a plain directory. */
async function dataGeneration(dir: string): Promise<string | undefined> {
  return readlink(join(dir, '..data')).catch(() => undefined);
}

/** Every readable config file of every source, in load order, and one error per unreadable one. */
export async function readSources(sources: readonly string[]): Promise<{ files: SourceFile[]; errors: AgentError[] }> {
  const files: SourceFile[] = [];
  const errors: AgentError[] = [];
  for (const source of sources) {
    try {
      files.push(...(await readSource(source, errors)));
    } catch (err) {
      if (!(err instanceof AgentError)) throw err;
      errors.push(err);
    }
  }
  // An empty directory is a legitimate source (an empty ConfigMap, a node's cluster.d/ before the sync
  // DaemonSet first writes it), as long as some source holds a config file.
  if (files.length === 0 && errors.length === 0) {
    errors.push(new AgentError('CMA_CONFIG_MISSING', 'no .yaml, .yml, .json or .toml file in any --config source', { file: sources.join(', ') }));
  }
  return { files, errors };
}

export { Vanished };
