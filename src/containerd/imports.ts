// config.toml's `imports` drop-ins that set the CRI registry, which win over the agent's edit of the main file.
// Measured with `containerd config dump` (issue 11): on 1.6.20 an import that sets anything of
// plugins."io.containerd.grpc.v1.cri" replaces the main file's whole CRI table; on 2.1.9 an import's
// registry config_path wins, and a drop-in of the other config version replaces the registry table (auth
// included). So the agent cannot make such a node right by editing config.toml: it names the file that wins
// instead of reporting a success containerd will not see. Imports are resolved as containerd does: globbed,
// sorted, imports of imports followed; a relative one from the importing file's directory on 2.x, but from
// the process's working directory on 1.6 (seen in its dump), which is / under systemd.
// 2.3.4 (issue 23) merges every drop-in key by key, whatever its version: an import's config_path still wins,
// but the main file's auth stays. A drop-in of a higher version than the main file, whatever it sets, makes
// 2.1.9 drop the main file's version 2 registry table (config_path and auth), and stops 2.3.4 from starting
// ("drop-in config version 3 higher than root config version 2").
import { readdir, readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, sep } from 'node:path';
import { AgentError } from '../errors.js';
import type { ContainerdFacts } from '../model.js';
import { sameDir } from './config-path.js';
import { migratesToV4, REGISTRY_PLUGIN } from './config-version.js';
import { formatContainerdVersion } from './detect.js';
import { parseTomlSafely, tableAt, tomlKey, type TomlTable } from './toml-text.js';

const CRI_V2 = REGISTRY_PLUGIN[2];
const GLOB = /[*?[]/;

function globRegExp(segment: string): RegExp {
  const body = segment
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

/** Go's filepath.Glob for the patterns imports use: matches in lexical order, none when a dir is missing. */
async function glob(pattern: string): Promise<string[]> {
  if (!GLOB.test(pattern)) return [pattern];
  const parts = pattern.split(sep);
  let paths = [parts[0] === '' ? sep : parts[0]!];
  for (const part of parts.slice(1)) {
    if (part === '') continue;
    const next: string[] = [];
    for (const base of paths) {
      if (!GLOB.test(part)) {
        next.push(join(base, part));
        continue;
      }
      const names = await readdir(base).catch(() => [] as string[]);
      const re = globRegExp(part);
      next.push(
        ...names
          .filter((n) => re.test(n))
          .sort()
          .map((n) => join(base, n)),
      );
    }
    paths = next;
  }
  return paths;
}

interface Imported {
  file: string;
  doc: TomlTable;
}

async function importedFiles(file: string, doc: TomlTable, seen: Set<string>, facts: ContainerdFacts): Promise<Imported[]> {
  const base = (facts.version?.major ?? 2) < 2 ? sep : dirname(file);
  const imports = Array.isArray(doc.imports) ? doc.imports.filter((i): i is string => typeof i === 'string') : [];
  const out: Imported[] = [];
  for (const pattern of imports) {
    for (const path of await glob(isAbsolute(pattern) ? pattern : join(base, pattern))) {
      if (seen.has(path)) continue;
      seen.add(path);
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch {
        continue;
      }
      const imported = parseTomlSafely(text, path);
      out.push({ file: path, doc: imported }, ...(await importedFiles(path, imported, seen, facts)));
    }
  }
  return out;
}

interface Override {
  file: string;
  field: string;
  /** The registry table containerd ends up with from this file. */
  registry: TomlTable;
  /** The main file's registry table is replaced whole, auth included. */
  replacesTable: boolean;
}

/**
 * The last import that sets what decides CRI pulls' hosts dir on this containerd, or undefined. Version
 * unknown: both rules, so neither kind of override goes unnoticed.
 */
function override(imported: Imported[], mainVersion: unknown, facts: ContainerdFacts): Override | undefined {
  const major = facts.version?.major;
  const rule1 = major === undefined || major < 2;
  const merges = facts.version !== undefined && migratesToV4(facts.version);
  let found: Override | undefined;
  for (const { file, doc } of imported) {
    const cri = tableAt(doc, ['plugins', CRI_V2]);
    if (rule1 && cri) {
      found = { file, field: tomlKey(['plugins', CRI_V2]), registry: tableAt(cri, ['registry']) ?? {}, replacesTable: true };
      continue;
    }
    if (major !== undefined && major < 2) continue;
    for (const version of [2, 3] as const) {
      const path = ['plugins', REGISTRY_PLUGIN[version], 'registry'];
      const registry = tableAt(doc, path);
      const replacesTable = !merges && (doc.version !== mainVersion || major === undefined);
      // A table merged key by key leaves the main file's config_path alone unless it sets one.
      if (registry && (replacesTable || registry.config_path !== undefined))
        found = { file, field: tomlKey(path), registry, replacesTable };
    }
  }
  return found;
}

/** What a drop-in newer than the main file does on 2.x: 2.0-2.2 drop the main file's registry table, 2.3 does not start. */
function checkDropInVersions(file: string, mainVersion: unknown, imported: Imported[], facts: ContainerdFacts): void {
  const v = facts.version;
  if (typeof mainVersion !== 'number' || (v !== undefined && v.major < 2)) return;
  const newer = imported.find(({ doc }) => typeof doc.version === 'number' && doc.version > mainVersion);
  if (newer === undefined) return;
  const version = newer.doc.version as number;
  const refusal = `"drop-in config version ${version} higher than root config version ${mainVersion}"`;
  const dropped = `the registry table of ${file} no more (its config_path and auth are dropped)`;
  const effect =
    v === undefined
      ? `containerd 2.0-2.2 then read ${dropped}, and 2.3 does not start (${refusal})`
      : migratesToV4(v)
        ? `containerd ${formatContainerdVersion(v)} does not start (${refusal})`
        : `containerd ${formatContainerdVersion(v)} then reads ${dropped}`;
  throw new AgentError(
    'CMA_CONTAINERD_CONFIG',
    `is ${version}, higher than version ${mainVersion} of ${file}, which imports it: ${effect}; convert ${file} with \`containerd config migrate\` (it writes the newest version this containerd reads), or write this drop-in as version ${mainVersion}`,
    { file: newer.file, field: 'version' },
  );
}

/**
 * Refuses, naming the drop-in, when an import of `file` decides the registry and would undo the agent's
 * edit: a config_path other than `hostsDir`, or (with `manageAuth`) a table that replaces the main file's auth.
 */
export async function checkImports(
  file: string,
  doc: TomlTable,
  hostsDir: string,
  manageAuth: boolean,
  facts: ContainerdFacts,
): Promise<void> {
  const imported = await importedFiles(file, doc, new Set([file]), facts);
  checkDropInVersions(file, doc.version, imported, facts);
  const found = override(imported, doc.version, facts);
  if (found === undefined) return;
  const configPath = found.registry.config_path;
  const fix = `set config_path = "${hostsDir}" there${manageAuth ? ' and keep registry auth out of it' : ''}, or remove the table`;
  if (!sameDir(configPath, hostsDir)) {
    const what =
      typeof configPath === 'string' && configPath !== ''
        ? `sets config_path = ${JSON.stringify(configPath)}`
        : found.replacesTable
          ? "replaces the CRI registry settings without the agent's config_path"
          : 'sets the CRI registry';
    throw new AgentError(
      'CMA_CONTAINERD_CONFIG',
      `${what} and is imported by ${file}, so containerd uses it instead of the agent's edit there; ${fix}`,
      { file: found.file, field: found.field },
    );
  }
  if (manageAuth && found.replacesTable) {
    throw new AgentError(
      'CMA_CONTAINERD_CONFIG',
      `is imported by ${file} and replaces its registry table, so containerd would drop the registry auth the agent writes there; ${fix}`,
      { file: found.file, field: found.field },
    );
  }
}
