// containerd fails every pull of a registry whose ca or client file it cannot read, so a config naming
// one is refused before anything is written.
import { AgentError } from '../errors.js';
import { FileReadError, readRegularFile } from '../regular-file.js';
import { formatPath, type PathKey } from './field-path.js';
import { LIMITS } from './limits.js';
import type { Provenance } from './merge.js';
import type { NativeConfig } from './native-schema.js';

interface TlsFields {
  ca: string[];
  client: Array<{ cert: string; key: string }>;
}

function tlsRefs(t: TlsFields, at: PathKey[]): Array<[string, PathKey[]]> {
  return [
    ...t.ca.map((p, i): [string, PathKey[]] => [p, [...at, 'ca', i]]),
    ...t.client.flatMap((c, i): Array<[string, PathKey[]]> => [
      [c.cert, [...at, 'client', i, 'cert']],
      [c.key, [...at, 'client', i, 'key']],
    ]),
  ];
}

/** Every ca and client path of the config, with its field path. */
export function tlsFileRefs(config: NativeConfig): Array<[string, PathKey[]]> {
  return Object.entries(config.registries).flatMap(([name, r]) => [
    ...tlsRefs(r, ['registries', name]),
    ...r.mirrors.flatMap((m, i) => tlsRefs(m, ['registries', name, 'mirrors', i])),
  ]);
}

/** Reads `path` the way every user-named file is read: its bytes, or why containerd could not read it. */
async function readRef(path: string): Promise<Buffer | string> {
  try {
    return await readRegularFile(path, LIMITS.fileBytes, LIMITS.readDeadlineMs);
  } catch (err) {
    if (err instanceof FileReadError) return err.reason;
    throw err;
  }
}

/**
 * Every file readable, or an error naming the config file and field; `keep(at)` says which files' bytes
 * are kept (path -> bytes): the cluster-provided ones, which are copied into the hosts dir.
 */
export async function checkFileRefs(
  refs: ReadonlyArray<[string, PathKey[]]>,
  provenance: Provenance,
  keep: (at: PathKey[]) => boolean = () => false,
): Promise<{ errors: AgentError[]; kept: Map<string, Buffer> }> {
  const errors: AgentError[] = [];
  const kept = new Map<string, Buffer>();
  for (const [path, at] of refs) {
    const read = await readRef(path);
    if (typeof read !== 'string') {
      if (keep(at)) kept.set(path, read);
      continue;
    }
    errors.push(
      new AgentError('CMA_CONFIG_FILE_REF', `cannot read ${path} (${read}): containerd would fail every pull of this registry`, {
        file: provenance.fileFor(at),
        field: formatPath(at),
      }),
    );
  }
  return { errors, kept };
}
