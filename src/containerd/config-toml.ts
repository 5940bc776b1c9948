// Plans the agent's edit of containerd's config.toml. Pure: text in, text out.
//
// Why the main file and not a drop-in: verified on containerd 1.6.20 (`containerd --config X config dump`),
// a file listed in `imports` that sets `plugins."io.containerd.grpc.v1.cri".registry` REPLACES the main
// file's whole CRI plugin table: the operator's sandbox_image, cni dirs and own registry auth silently fall
// back to defaults. So the agent edits the main file, minimally and as text (comments and layout survive):
// - `config_path` is set in place inside an existing `[plugins."<id>".registry]` table, or, when that table
//   has no header of its own, in the agent's block;
// - the `configs."<host>".auth` tables it manages live in one block between BEGIN/END marker comments at the
//   end of the file. The block is the record of what the agent manages: removing a registry removes its
//   table and nothing else, and a lost state dir cannot orphan an entry.
// Every result is re-parsed and compared with the operator's own document plus exactly our keys; anything
// else (inline tables, dotted keys) is refused rather than guessed at.
import { AgentError } from '../errors.js';
import type { ContainerdFacts, Credential } from '../model.js';
import { configPathTarget, listIsRead, sameDir } from './config-path.js';
import { headerPath, isTableLine, parseTomlSafely, samePath, tableAt, tomlKey, tomlString, type TomlTable } from './toml-text.js';
import { isDeepStrictEqual } from 'node:util';
import { configVersionProblem, newestConfigVersion, REGISTRY_PLUGIN, type ConfigVersion } from './config-version.js';

export const BLOCK_BEGIN = '# BEGIN containerd-mirror-agent: registry auth managed by the agent; edits between these lines are overwritten';
const BLOCK_END = '# END containerd-mirror-agent';

export interface ContainerdConfigInput {
  /** Where config.toml is, for error messages. */
  path: string;
  /** Its content, undefined when it does not exist. */
  current: string | undefined;
  /** Its permission bits, when it exists. */
  currentMode?: number;
  hostsDir: string;
  /** config_path values the agent itself set before (config-file.ts records them): the agent's to move. */
  ownedConfigPaths?: readonly string[];
  /** From containerdAuths(). */
  auths: ReadonlyMap<string, Credential>;
  facts: ContainerdFacts;
}

export interface ContainerdConfigPlan {
  path: string;
  content: string;
  /** 0600 as soon as the file holds a credential (ours or the operator's); otherwise the current mode. */
  mode: number;
  /** The bytes containerd reads differ: write, then a restart is due. */
  changed: boolean;
  /** What changed, for logs and the restart reason. Host names only, never a credential. */
  changes: string[];
  /** config_path is set to hostsDir by this edit (it was unset or another directory). */
  configPathChanged: boolean;
  /** Hosts whose config.toml auth the agent manages after this edit, sorted. */
  managedHosts: string[];
  fileVersion: ConfigVersion;
  pluginId: string;
  /** Directories of a list config_path that containerd no longer reads after this edit (see config-path.ts). */
  droppedDirs: string[];
}

export function planContainerdConfig(input: ContainerdConfigInput): ContainerdConfigPlan {
  const { path: file, hostsDir, auths } = input;
  const created = input.current === undefined || input.current.trim() === '';
  const current = created ? newFileText(input.facts) : input.current!;
  const { user, block } = splitBlock(current, file);
  const doc = parseTomlSafely(user, file);
  const fileVersion = configVersion(doc, file, input.facts);
  const pluginId = REGISTRY_PLUGIN[fileVersion];
  const registryPath = ['plugins', pluginId, 'registry'];
  const registry = tableAt(doc, registryPath) ?? {};
  checkNoConflicts(registry, auths, file, tomlKey(registryPath));
  checkHeadersReadable(auths, fileVersion, input.facts, file, registryPath);

  const changes: string[] = created ? [`created ${file}`] : [];
  const configPath = registry.config_path;
  // A config_path the agent set itself is not the operator's: it moves along with the hosts dir, or containerd
  // would be left pointing at the directory the agent just emptied.
  const owned = (input.ownedConfigPaths ?? []).some((p) => sameDir(configPath, p));
  const useLocalImagePull = tableAt(doc, ['plugins', pluginId])?.use_local_image_pull === true;
  const target = configPathTarget(owned ? undefined : configPath, hostsDir, listIsRead(input.facts, useLocalImagePull), {
    file,
    field: `${tomlKey(registryPath)}.config_path`,
  });
  const { text: userText, inBlock } = setConfigPath(user, registryPath, configPath, target.value);
  const configPathChanged = target.value !== configPath;
  if (configPathChanged) changes.push(configPathChange(target.value, configPath, target.dropped));

  const previous = block === undefined ? new Map<string, unknown>() : managedAuths(parseTomlSafely(block, file), registryPath);
  changes.push(...authChanges(previous, auths));

  const managedHosts = [...auths.keys()].sort();
  const newBlock = renderBlock(registryPath, inBlock ? target.value : undefined, managedHosts, auths);
  const content = joinBlock(userText, newBlock);
  verify(content, user, registryPath, target.value, auths, file);

  const holdsCredential = managedHosts.length > 0 || registryHoldsCredential(registry);
  const base = input.currentMode ?? 0o644;
  return {
    path: file,
    content,
    mode: holdsCredential ? base & 0o600 : base,
    changed: content !== input.current,
    changes: content === input.current ? [] : changes,
    configPathChanged,
    managedHosts,
    fileVersion,
    pluginId,
    droppedDirs: target.dropped,
  };
}

function configPathChange(value: string, was: unknown, dropped: string[]): string {
  if (dropped.length === 0) return `config_path set to ${value}`;
  return `config_path set to ${value} (was the list ${String(was)}, of which this containerd's CRI pulls read no directory; ${dropped.join(', ')} no longer in config_path)`;
}

/** A new config.toml in the newest layout the containerd we found reads (`config default`'s); unknown: version 2. */
function newFileText(facts: ContainerdFacts): string {
  const version = facts.version ? newestConfigVersion(facts.version) : 2;
  return `# Created by containerd-mirror-agent; containerd's defaults apply to everything not set here.\nversion = ${version}\n`;
}

/** Version 4 (containerd 2.3) is edited like 3: the same registry table, and the file keeps its version. */
function configVersion(doc: TomlTable, file: string, facts: ContainerdFacts): ConfigVersion {
  const problem = configVersionProblem(doc, facts);
  if (problem !== undefined) {
    throw new AgentError('CMA_CONTAINERD_CONFIG', `${problem.problem}; ${problem.fix}`, { file, field: problem.field });
  }
  return doc.version as ConfigVersion;
}

function checkNoConflicts(registry: TomlTable, auths: ReadonlyMap<string, Credential>, file: string, registryKey: string): void {
  const mirrors = registry.mirrors;
  if (typeof mirrors === 'object' && mirrors !== null && Object.keys(mirrors).length > 0) {
    throw new AgentError(
      'CMA_CONTAINERD_CONFIG',
      'is set, and containerd refuses `mirrors` together with `config_path`; move these mirrors into the agent config (or into hosts.toml files) and delete the table',
      { file, field: `${registryKey}.mirrors` },
    );
  }
  const configPath = registry.config_path;
  if (configPath !== undefined && typeof configPath !== 'string') {
    throw new AgentError('CMA_CONTAINERD_CONFIG', 'must be a string', { file, field: `${registryKey}.config_path` });
  }
  const configs = (registry.configs ?? {}) as TomlTable;
  for (const host of auths.keys()) {
    if (tableAt(configs, [host, 'auth']) !== undefined) {
      throw new AgentError(
        'CMA_CONTAINERD_CONFIG',
        `is already set outside the agent's block; delete it, or stop giving the agent a credential for ${host}`,
        { file, field: `${registryKey}.configs.${tomlString(host)}.auth` },
      );
    }
  }
}

/**
 * containerd 1.x reads config.toml with go-toml v1, which rejects a table header holding `[` or `]` (issue
 * 10055): `configs."[fd00::1]:5000".auth` would stop containerd from starting at all. No other form fits: the
 * stock file defines `[….registry.configs]` itself, so the agent cannot open that table again for dotted keys.
 * A version 3 or 4 file, or containerd 2.x, reads such headers.
 */
function checkHeadersReadable(
  auths: ReadonlyMap<string, Credential>,
  fileVersion: ConfigVersion,
  facts: ContainerdFacts,
  file: string,
  registryPath: string[],
): void {
  if (fileVersion >= 3 || (facts.version?.major ?? 1) >= 2) return;
  const host = [...auths.keys()].find((h) => /[[\]]/.test(h));
  if (host === undefined) return;
  throw new AgentError(
    'CMA_CONTAINERD_CONFIG',
    `containerd 1.x cannot read a table for an IPv6 host (a \`]\` in a table header stops it from starting, containerd issue 10055); give the credential for ${host} \`authMode: header\`, or name the host by a DNS name`,
    { file, field: `${tomlKey([...registryPath, 'configs', host, 'auth'])}` },
  );
}

/**
 * Sets config_path to `value` in the operator's text when their registry table has a header; otherwise
 * reports that it goes into the agent's block. configPathTarget() has already refused a directory that is
 * not the agent's: taking it over would silently disable the operator's own hosts.toml files.
 */
function setConfigPath(user: string, registryPath: string[], configPath: unknown, value: string): { text: string; inBlock: boolean } {
  if (configPath === value) return { text: user, inBlock: false };
  const lines = user.split('\n');
  const header = lines.findIndex((l) => samePath(headerPath(l) ?? [], registryPath));
  if (header < 0) return { text: user, inBlock: true };
  let end = header + 1;
  while (end < lines.length && !isTableLine(lines[end]!)) end++;
  const at = lines.slice(header + 1, end).findIndex((l) => /^\s*(config_path|"config_path"|'config_path')\s*=/.test(l));
  if (at >= 0) {
    const line = lines[header + 1 + at]!;
    lines[header + 1 + at] = `${/^\s*/.exec(line)![0]}config_path = ${tomlString(value)}`;
  } else {
    lines.splice(header + 1, 0, `${/^\s*/.exec(lines[header]!)![0]}  config_path = ${tomlString(value)}`);
  }
  return { text: lines.join('\n'), inBlock: false };
}

/** The operator's text and the agent's block (marker lines included), which is cut out wherever it is. */
function splitBlock(text: string, file: string): { user: string; block: string | undefined } {
  const lines = text.split('\n');
  const begin = lines.indexOf(BLOCK_BEGIN);
  const end = lines.indexOf(BLOCK_END);
  if (begin < 0 && end < 0) return { user: text, block: undefined };
  if (begin < 0 || end < begin || lines.lastIndexOf(BLOCK_BEGIN) !== begin || lines.lastIndexOf(BLOCK_END) !== end) {
    throw new AgentError(
      'CMA_CONTAINERD_CONFIG',
      `the agent's block is damaged (expect exactly one "${BLOCK_BEGIN}" line followed by one "${BLOCK_END}" line); restore it or delete both markers and what is between them`,
      { file },
    );
  }
  const userLines = [...lines.slice(0, begin), ...lines.slice(end + 1)];
  // joinBlock separates the block with one blank line; take it back so edits round-trip byte for byte.
  if (begin > 0 && userLines[begin - 1] === '') userLines.splice(begin - 1, 1);
  return { user: userLines.join('\n'), block: lines.slice(begin, end + 1).join('\n') };
}

function joinBlock(user: string, block: string | undefined): string {
  if (block === undefined) return user;
  const body = user.endsWith('\n') ? user : `${user}\n`;
  return `${body}\n${block}\n`;
}

function renderBlock(
  registryPath: string[],
  configPath: string | undefined,
  hosts: string[],
  auths: ReadonlyMap<string, Credential>,
): string | undefined {
  if (configPath === undefined && hosts.length === 0) return undefined;
  const sections: string[] = [];
  if (configPath !== undefined) sections.push(`[${tomlKey(registryPath)}]\n  config_path = ${tomlString(configPath)}\n`);
  for (const host of hosts) {
    const fields = Object.entries(authFields(auths.get(host)!)).map(([k, v]) => `  ${k} = ${tomlString(v)}\n`);
    sections.push(`[${tomlKey([...registryPath, 'configs', host, 'auth'])}]\n${fields.join('')}`);
  }
  return `${BLOCK_BEGIN}\n${sections.join('\n')}${BLOCK_END}`;
}

/** containerd's AuthConfig keys (pkg/cri/config: username, password, auth, identitytoken). */
function authFields(credential: Credential): Record<string, string> {
  return credential.kind === 'basic'
    ? { username: credential.username, password: credential.password }
    : { identitytoken: credential.identityToken };
}

function managedAuths(block: TomlTable, registryPath: string[]): Map<string, unknown> {
  const configs = tableAt(block, [...registryPath, 'configs']) ?? {};
  return new Map(Object.entries(configs).map(([host, value]) => [host, plain((value as TomlTable).auth)]));
}

function authChanges(previous: ReadonlyMap<string, unknown>, auths: ReadonlyMap<string, Credential>): string[] {
  const changes: string[] = [];
  for (const host of [...new Set([...previous.keys(), ...auths.keys()])].sort()) {
    const next = auths.get(host);
    if (next === undefined) changes.push(`auth removed for ${host}`);
    else if (!previous.has(host)) changes.push(`auth added for ${host}`);
    else if (!isDeepStrictEqual(previous.get(host), authFields(next))) changes.push(`auth changed for ${host}`);
  }
  return changes;
}

/** Whether a config.toml registry table holds any credential: `configs."<host>".auth` or the old `auths`. */
export function registryHoldsCredential(registry: TomlTable): boolean {
  const configs = Object.values((registry.configs ?? {}) as TomlTable);
  const auths = (registry.auths ?? {}) as TomlTable;
  return configs.some((c) => tableAt(c as TomlTable, ['auth']) !== undefined) || Object.keys(auths).length > 0;
}

/** The edited file must be the operator's document plus exactly our keys, or nothing is written. */
function verify(
  content: string,
  user: string,
  registryPath: string[],
  configPath: string,
  auths: ReadonlyMap<string, Credential>,
  file: string,
): void {
  let actual: unknown;
  try {
    actual = plain(parseTomlSafely(content, file));
  } catch {
    actual = undefined;
  }
  const expected = plain(parseTomlSafely(user, file)) as TomlTable;
  const registry = ensureTable(expected, registryPath);
  registry.config_path = configPath;
  for (const [host, credential] of auths) ensureTable(registry, ['configs', host]).auth = authFields(credential);
  if (!isDeepStrictEqual(actual, expected)) {
    throw new AgentError(
      'CMA_CONTAINERD_CONFIG',
      `the registry table is written in a form the agent does not edit (an inline table or dotted keys); write it as a [${tomlKey(registryPath)}] table`,
      { file, field: tomlKey(registryPath) },
    );
  }
}

/** smol-toml returns null-prototype objects and TomlDate values: compare their JSON form. */
function plain(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

function ensureTable(root: TomlTable, path: readonly string[]): TomlTable {
  let cur = root;
  for (const key of path) {
    cur[key] ??= {};
    cur = cur[key] as TomlTable;
  }
  return cur;
}
