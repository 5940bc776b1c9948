// Credentials from `.dockerconfigjson` files (a kubernetes.io/dockerconfigjson Secret mounted as a
// directory, or a docker config.json), keyed by the registry host they are for.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Credential } from '../model.js';
import { AgentError } from '../errors.js';
import { decodeBasicAuth } from './credential.js';
import { issuesToErrors } from './issues.js';
import { parseConfigFile } from './parse.js';
import type { SecretSet } from './secret-set.js';
import { readLimited, Vanished, type SourceFile } from './read-sources.js';

const DIR_ENTRIES = ['.dockerconfigjson', 'config.json'];

const entry = z
  .object({
    auth: z.string().optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    identitytoken: z.string().optional(),
  })
  .loose();

// Docker's config.json carries much more (credsStore, proxies...): only `auths` is ours to judge.
const dockerConfig = z.object({ auths: z.record(z.string(), entry) }).loose();

/** `https://index.docker.io/v1/`, `host`, `https://host:5000/` -> `host[:port]`, lowercase. */
function normalizeAuthKey(key: string): string {
  const noScheme = key.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  return (noScheme.split('/')[0] ?? '').toLowerCase();
}

function toCredential(e: z.output<typeof entry>): Credential | undefined {
  if (e.identitytoken !== undefined && e.identitytoken !== '') return { kind: 'identityToken', identityToken: e.identitytoken };
  if (e.auth !== undefined && e.auth !== '') {
    const decoded = decodeBasicAuth(e.auth);
    return decoded && { kind: 'basic', ...decoded };
  }
  if (e.username !== undefined && e.username !== '' && e.password !== undefined)
    return { kind: 'basic', username: e.username, password: e.password };
  return undefined;
}

/** The files a `credentials` entry stands for: the file itself, or the known names inside a directory. */
export async function credentialFilesAt(path: string): Promise<string[]> {
  const info = await stat(path);
  if (!info.isDirectory()) return [path];
  const found: string[] = [];
  for (const name of DIR_ENTRIES) {
    const candidate = join(path, name);
    if (
      await stat(candidate).then(
        (s) => s.isFile(),
        () => false,
      )
    )
      found.push(candidate);
  }
  return found;
}

export interface CredentialSource {
  path: string;
  /** Where the path was named, for errors: config file and field. */
  file: string | undefined;
  field: string;
}

/** Reads every credentials source; later files win for the same host. */
export async function readCredentials(
  sources: readonly CredentialSource[],
  secrets: SecretSet,
): Promise<{ byHost: Map<string, Credential>; files: SourceFile[]; errors: AgentError[] }> {
  const byHost = new Map<string, Credential>();
  const files: SourceFile[] = [];
  const errors: AgentError[] = [];
  for (const source of sources) {
    const unreadable = (why: string) =>
      new AgentError('CMA_CONFIG_FILE_REF', `cannot read credentials ${source.path}: ${why}`, { file: source.file, field: source.field });
    let paths: string[];
    try {
      paths = await credentialFilesAt(source.path);
    } catch (err) {
      errors.push(unreadable((err as NodeJS.ErrnoException).code ?? 'error'));
      continue;
    }
    if (paths.length === 0) errors.push(unreadable(`the directory holds neither ${DIR_ENTRIES.join(' nor ')}`));
    for (const path of paths) {
      try {
        const bytes = await readLimited(path, 'credentials file');
        files.push({ path, bytes });
        secrets.addFromText(bytes.toString('utf8'));
        const data = parseConfigFile(path, bytes, 'json');
        secrets.addFrom(data);
        const parsed = dockerConfig.safeParse(data);
        if (!parsed.success) {
          errors.push(...issuesToErrors(parsed.error.issues, () => path));
          continue;
        }
        for (const [key, e] of Object.entries(parsed.data.auths)) {
          const credential = toCredential(e);
          if (credential === undefined) {
            errors.push(
              new AgentError('CMA_CONFIG_FIELD', 'needs auth (base64 of "username:password"), username and password, or identitytoken', {
                file: path,
                field: `auths[${JSON.stringify(key)}]`,
              }),
            );
          } else {
            byHost.set(normalizeAuthKey(key), credential);
          }
        }
      } catch (err) {
        if (err instanceof Vanished) errors.push(unreadable('ENOENT'));
        // Not a regular file, unreadable: named where the config names it, like a missing one.
        else if (err instanceof AgentError && err.code === 'CMA_CONFIG_READ') errors.push(unreadable(err.message));
        else if (err instanceof AgentError) errors.push(err);
        else throw err;
      }
    }
  }
  return { byHost, files, errors };
}
