// --config sources -> validated AgentConfig. Reads, parses and validates everything before reporting, so
// an operator sees every problem at once, each naming the file and the field to fix.
import { createHash } from 'node:crypto';
import type { AgentConfig, Credential } from '../model.js';
import { AgentError, AgentErrors } from '../errors.js';
import { namedMirrorErrors, namesAHost, validateMerged, toModel } from './build.js';
import { dnsSettings, type KubeletDns } from './kubelet-dns.js';
import { toNativeShape } from './dialect.js';
import { readCredentials } from './dockerconfig.js';
import { formatPath, type PathKey } from './field-path.js';
import { checkFileRefs, tlsFileRefs } from './file-refs.js';
import { mergeInto, Provenance, type Plain } from './merge.js';
import { ValueBudget } from './data-limits.js';
import { parseConfigFile } from './parse.js';
import { SecretSet } from './secret-set.js';
import { readSources, type SourceFile } from './read-sources.js';
import { clusterRefErrors, isClusterFile, nodeOnlyKeyErrors } from './trust.js';

export interface LoadedConfig {
  config: AgentConfig;
  /** sha256 over every file read (path and bytes, in load order), credentials files included. */
  hash: string;
  /** Every file read, in order: config files, cluster-provided ca and client files, credentials files. */
  files: string[];
  /** The config files among `files` read from cluster-provided sources. */
  clusterFiles: string[];
}

export interface LoadOptions {
  /** Default true: every ca, client and credentials file must be readable (and credentials are read). */
  checkFileRefs?: boolean;
  /**
   * `--cluster-config`: cluster-provided sources, read after `sources`. They may not set node-only keys, nor
   * name files outside themselves (see trust.ts).
   */
  clusterSources?: readonly string[];
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
  const cluster = options.clusterSources ?? [];
  const { files, errors } = await readSources([...sources, ...cluster]);
  const clusterFiles = files.map((f) => f.path).filter((path) => isClusterFile(path, cluster));
  const natives: Array<{ file: string; native: Plain }> = [];
  const budget = new ValueBudget();
  for (const { path, bytes } of files) {
    secrets.addFromText(bytes.toString('utf8'));
    try {
      const data = parseConfigFile(path, bytes, undefined, budget);
      secrets.addFrom(data);
      const shaped = toNativeShape(path, data);
      errors.push(...shaped.errors);
      if (clusterFiles.includes(path)) errors.push(...nodeOnlyKeyErrors(path, shaped.native));
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
  const providedFiles = new Map<string, string>();
  const read: SourceFile[] = [...files];
  if (options.checkFileRefs ?? true) {
    const refs = [
      ...tlsFileRefs(config).map(([path, at]) => ({ path, at, credentials: false })),
      ...config.credentials.map((path, i) => ({ path, at: ['credentials', i], credentials: true })),
    ];
    // Before anything is read: a refused reference must not be opened at all.
    const untrusted = await clusterRefErrors(refs, provenance, cluster);
    if (untrusted.length > 0) fail(untrusted, secrets);
    const fromCluster = (at: PathKey[]): boolean => {
      const file = provenance.fileFor(at);
      return file !== undefined && isClusterFile(file, cluster);
    };
    const tls = await checkFileRefs(tlsFileRefs(config), provenance, fromCluster);
    errors.push(...tls.errors);
    // Their bytes count in the hash: a rotated certificate at the same path is a new config, copied again.
    for (const [path, bytes] of tls.kept) {
      read.push({ path, bytes });
      providedFiles.set(path, bytes.toString('utf8'));
    }
    const credentials = await readCredentials(
      config.credentials.map((path, i) => ({ path, file: provenance.fileFor(['credentials', i]), field: formatPath(['credentials', i]) })),
      secrets,
    );
    errors.push(...credentials.errors);
    read.push(...credentials.files);
    byHost = credentials.byHost;
  }
  let dns: KubeletDns | undefined;
  try {
    dns = await dnsSettings(config, namesAHost(config));
    if (dns.file !== undefined) read.push(dns.file);
    errors.push(...namedMirrorErrors(config, dns.settings.clusterDomain, provenance));
  } catch (err) {
    if (!(err instanceof AgentError)) throw err;
    errors.push(err);
  }
  if (errors.length > 0 || dns === undefined) fail(errors, secrets);
  const model = toModel(config, byHost, dns.settings);
  return {
    config: providedFiles.size === 0 ? model : { ...model, providedFiles },
    hash: hashOf(read),
    files: read.map((f) => f.path),
    clusterFiles,
  };
}
