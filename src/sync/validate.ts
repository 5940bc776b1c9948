// A set is judged as the host agent will judge it, on the staged copy: the config files with loadConfig, and
// the files it names inside --to (credentials, ca, client) against the staged keys, since after the swap
// those paths resolve into this very set. The set is cluster-provided (the host agent reads --to with
// --cluster-config), so it is held to the trust boundary: no node-only key, and no path outside --to, which
// the host agent would refuse anyway; refusing here keeps the node on its last good set. Errors name the
// --from file a key came from, never the staging directory.
import { isAbsolute, join, relative } from 'node:path';
import type { AgentConfig, TlsSettings } from '../model.js';
import { AgentError, AgentErrors } from '../errors.js';
import { readCredentials } from '../config/dockerconfig.js';
import { formatPath, type PathKey } from '../config/field-path.js';
import { loadConfig } from '../config/load.js';
import { SecretSet } from '../config/secret-set.js';
import { CONFIG_EXTENSIONS } from '../config/read-sources.js';
import type { SourcedFile } from './snapshot.js';

/** The key a path under `to` names ('' for `to` itself), or undefined for a path elsewhere. */
function keyUnder(to: string, path: string): string | undefined {
  const rel = relative(to, path);
  return rel.startsWith('..') || isAbsolute(rel) ? undefined : rel;
}

function tlsRefs(config: AgentConfig): Array<[string, PathKey[]]> {
  const of = (t: TlsSettings, at: PathKey[]): Array<[string, PathKey[]]> => [
    ...t.ca.map((p, i): [string, PathKey[]] => [p, [...at, 'ca', i]]),
    ...t.client.flatMap((c, i): Array<[string, PathKey[]]> => [
      [c.cert, [...at, 'client', i, 'cert']],
      [c.key, [...at, 'client', i, 'key']],
    ]),
  ];
  return config.registries.flatMap((r) => [
    ...of(r.serverTls, ['registries', r.name]),
    ...r.mirrors.flatMap((m, i) => of(m.tls, ['registries', r.name, 'mirrors', i])),
  ]);
}

async function checkRefs(config: AgentConfig, staged: string, set: ReadonlyMap<string, SourcedFile>, to: string): Promise<AgentError[]> {
  const errors: AgentError[] = [];
  const outside = (path: string, at: PathKey[]) =>
    new AgentError('CMA_CONFIG_TRUST', `names ${path}, outside ${to}: a cluster-provided set may only name files it provides`, {
      field: formatPath(at),
    });
  for (const [path, at] of tlsRefs(config)) {
    const key = keyUnder(to, path);
    if (key === undefined) errors.push(outside(path, at));
    else if (!set.has(key)) {
      errors.push(
        new AgentError(
          'CMA_CONFIG_FILE_REF',
          `names ${path}, but no --from directory has the key "${key}": containerd would fail every pull of this registry`,
          { field: formatPath(at) },
        ),
      );
    }
  }
  const credentials = config.credentialFiles.flatMap((path, i) => {
    const key = keyUnder(to, path);
    if (key === undefined) errors.push(outside(path, ['credentials', i]));
    return key === undefined ? [] : [{ path: join(staged, key), file: undefined, field: formatPath(['credentials', i]) }];
  });
  const secrets = new SecretSet();
  errors.push(...(await readCredentials(credentials, secrets)).errors.map((e) => secrets.redact(e)));
  return errors;
}

export async function validateStaged(staged: string, set: ReadonlyMap<string, SourcedFile>, to: string): Promise<AgentError[]> {
  const rehome = (e: AgentError): AgentError => {
    const key = e.file === undefined ? undefined : keyUnder(staged, e.file);
    const file = key === undefined ? e.file : (set.get(key)?.source ?? join(to, key));
    return new AgentError(e.code, e.message.split(staged).join(to), { file, field: e.field });
  };
  // Keys that are not config files (a CA bundle, `.dockerconfigjson`) are only checked when a config names
  // them; the host agent, too, reads only non-hidden files with a config extension from a directory.
  if (![...set.keys()].some((key) => !key.startsWith('.') && CONFIG_EXTENSIONS.test(key))) return [];
  try {
    const { config } = await loadConfig([], { checkFileRefs: false, clusterSources: [staged] });
    return (await checkRefs(config, staged, set, to)).map(rehome);
  } catch (err) {
    if (err instanceof AgentErrors) return err.errors.map(rehome);
    if (err instanceof AgentError) return [rehome(err)];
    throw err;
  }
}
