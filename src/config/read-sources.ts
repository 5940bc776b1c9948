// Reading --config sources. A directory is a mounted Secret/ConfigMap: `key -> ..data/key` symlinks, with
// `..data` swapped atomically by the kubelet, so a key can be missing for a moment while we list it.
import { opendir, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentError } from '../errors.js';
import { FileReadError, readRegularFile } from '../regular-file.js';
import { LIMITS, limitError } from './limits.js';

const MAX_CONFIG_BYTES = LIMITS.fileBytes;
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
 * Reads a regular file of at most MAX_CONFIG_BYTES without ever blocking on it (src/regular-file.ts).
 * `Vanished` when it does not exist (any more).
 */
export async function readLimited(path: string, label = 'config file'): Promise<Buffer> {
  try {
    return await readRegularFile(path, MAX_CONFIG_BYTES, LIMITS.readDeadlineMs);
  } catch (err) {
    if (!(err instanceof FileReadError)) throw err;
    if (err.errno === 'ENOENT') throw new Vanished();
    if (err.errno === 'EFBIG')
      throw new AgentError('CMA_CONFIG_TOO_LARGE', `the ${label} is larger than ${MAX_CONFIG_BYTES} bytes`, { file: path });
    const why = err.reason === 'not a regular file' ? `the ${label} is not a regular file` : `cannot read the ${label} (${err.reason})`;
    throw new AgentError('CMA_CONFIG_READ', why, { file: path, cause: err });
  }
}

/** Config files of a mounted volume: non-hidden, known extension, lexical order, symlinks followed. */
async function readDirectory(dir: string, tolerateVanished: boolean, errors: AgentError[]): Promise<SourceFile[]> {
  // Listed entry by entry, keeping config names only: a directory of a million other files costs no memory.
  const names: string[] = [];
  try {
    for await (const entry of await opendir(dir)) {
      if (entry.name.startsWith('.') || !CONFIG_EXTENSIONS.test(entry.name)) continue;
      names.push(entry.name);
      if (names.length > LIMITS.filesPerSource) throw limitError(dir, `holds more than ${LIMITS.filesPerSource} config files`);
    }
  } catch (err) {
    if (err instanceof AgentError) throw err;
    throw new AgentError('CMA_CONFIG_READ', `cannot list the directory (${errnoOf(err) ?? 'error'})`, { file: dir, cause: err });
  }
  names.sort();
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
      throw new AgentError('CMA_CONFIG_READ', 'cannot tell the format: the file name must end in .yaml, .yml, .json or .toml', {
        file: source,
      });
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

// Under back-to-back publishing (host mode's sync, a CI machine at full load) a read overlaps the next swap about
// half the time: five tries let a mixed set through now and then (seen once in CI on Node 24); 50 tries of a few
// milliseconds each do not, and a kubelet or sync that publishes that fast for that long is not a real source.
const MAX_GENERATION_READS = 50;

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
  const total = files.reduce((sum, f) => sum + f.bytes.length, 0);
  if (total > LIMITS.totalBytes) {
    return {
      files: [],
      errors: [limitError(sources.join(', '), `the config files are ${total} bytes together, more than ${LIMITS.totalBytes}`)],
    };
  }
  // An empty directory is a legitimate source (an empty ConfigMap, a node's cluster.d/ before the sync
  // DaemonSet first writes it), as long as some source holds a config file.
  if (files.length === 0 && errors.length === 0) {
    errors.push(
      new AgentError('CMA_CONFIG_MISSING', 'no .yaml, .yml, .json or .toml file in any --config source', { file: sources.join(', ') }),
    );
  }
  return { files, errors };
}

export { Vanished };
