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

/** Why containerd could not read `path`, or undefined. Reads it the way every user-named file is read. */
async function unreadable(path: string): Promise<string | undefined> {
  try {
    await readRegularFile(path, LIMITS.fileBytes, LIMITS.readDeadlineMs);
    return undefined;
  } catch (err) {
    if (err instanceof FileReadError) return err.reason;
    throw err;
  }
}

export async function checkFileRefs(refs: ReadonlyArray<[string, PathKey[]]>, provenance: Provenance): Promise<AgentError[]> {
  const errors: AgentError[] = [];
  for (const [path, at] of refs) {
    const why = await unreadable(path);
    if (why !== undefined) {
      errors.push(
        new AgentError('CMA_CONFIG_FILE_REF', `cannot read ${path} (${why}): containerd would fail every pull of this registry`, {
          file: provenance.fileFor(at),
          field: formatPath(at),
        }),
      );
    }
  }
  return errors;
}
