// --config sources -> validated AgentConfig. Reads, parses and validates everything before reporting, so
// an operator sees every problem at once, each naming the file and the field to fix.
import { createHash } from 'node:crypto';
import type { AgentConfig, Credential } from '../model.js';
import { AgentError, AgentErrors } from '../errors.js';
import { validateMerged, toModel } from './build.js';
import { toNativeShape } from './dialect.js';
import { readCredentials } from './dockerconfig.js';
import { formatPath } from './field-path.js';
import { checkFileRefs, tlsFileRefs } from './file-refs.js';
import { mergeInto, Provenance, type Plain } from './merge.js';
import { parseConfigFile } from './parse.js';
import { SecretSet } from './secret-set.js';
import { readSources, type SourceFile } from './read-sources.js';

export interface LoadedConfig {
  config: AgentConfig;
  /** sha256 over every file read (path and bytes, in load order), credentials files included. */
  hash: string;
  /** Every file read, in order: config files, then credentials files. */
  files: string[];
}

export interface LoadOptions {
  /** Default true: every ca, client and credentials file must be readable (and credentials are read). */
  checkFileRefs?: boolean;
}

function hashOf(files: readonly SourceFile[]): string {
  const hash = createHash('sha256');
  for (const f of files) {
    // Lengths make the concatenation unambiguous: moving bytes from one file to the next changes the hash.
    hash.update(`${Buffer.byteLength(f.path)}:${f.path}:${f.bytes.length}:`);
    hash.update(f.bytes);
  }
  return hash.digest('hex');
}

function fail(errors: readonly AgentError[], secrets: SecretSet): never {
  throw new AgentErrors(errors.map((e) => secrets.redact(e)));
}

export async function loadConfig(sources: readonly string[], options: LoadOptions = {}): Promise<LoadedConfig> {
  const secrets = new SecretSet();
  const { files, errors } = await readSources(sources);
  const natives: Array<{ file: string; native: Plain }> = [];
  for (const { path, bytes } of files) {
    try {
      const data = parseConfigFile(path, bytes);
      secrets.addFrom(data);
      const shaped = toNativeShape(path, data);
      errors.push(...shaped.errors);
      natives.push({ file: path, native: shaped.native });
    } catch (err) {
      if (!(err instanceof AgentError)) throw err;
      errors.push(err);
    }
  }
  if (errors.length > 0) fail(errors, secrets);

  const merged: Plain = {};
  const provenance = new Provenance();
  for (const { file, native } of natives) mergeInto(merged, native, file, provenance);
  const validated = validateMerged(merged, provenance);
  if (validated.config === undefined) fail(validated.errors, secrets);
  const config = validated.config;

  let byHost: ReadonlyMap<string, Credential> = new Map();
  const read: SourceFile[] = [...files];
  if (options.checkFileRefs ?? true) {
    errors.push(...(await checkFileRefs(tlsFileRefs(config), provenance)));
    const credentials = await readCredentials(
      config.credentials.map((path, i) => ({ path, file: provenance.fileFor(['credentials', i]), field: formatPath(['credentials', i]) })),
      secrets,
    );
    errors.push(...credentials.errors);
    read.push(...credentials.files);
    byHost = credentials.byHost;
  }
  if (errors.length > 0) fail(errors, secrets);
  return { config: toModel(config, byHost), hash: hashOf(read), files: read.map((f) => f.path) };
}
