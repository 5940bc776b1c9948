// Why containerd may not be reading the agent's hosts.toml files, in one line, from what the node shows:
// a `<host>_<port>_` directory that containerd reads before `<host>:<port>` (issue 10), a restart still owed,
// config.toml's version or a stale table this containerd reads otherwise (issue 23), its config_path (unset,
// elsewhere, a list the transfer service ignores), or a drop-in that wins.
// Used for the canary's reason, whichever way the canary came out; reads only.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentError } from '../errors.js';
import type { ContainerdFacts } from '../model.js';
import { configPathDirs, listIsRead, sameDir } from '../containerd/config-path.js';
import { readContainerdConfig } from '../containerd/config-file.js';
import { configVersionProblem, registryPluginOf } from '../containerd/config-version.js';
import { formatContainerdVersion } from '../containerd/detect.js';
import { checkImports } from '../containerd/imports.js';
import { parseTomlSafely, tableAt } from '../containerd/toml-text.js';

export interface CauseInput {
  hostsDir: string;
  /** Registry directory names the agent writes, the canary's included. */
  registries: string[];
  /** config.toml, when the agent manages it. */
  containerdConfig: string | undefined;
  restartPending: boolean;
  facts: ContainerdFacts;
}

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

/** The `<host>_<port>_` directories that shadow a registry's `<host>:<port>` one. */
export async function shadowingDirs(hostsDir: string, registries: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const name of registries) {
    const m = /^(.+):(\d+)$/.exec(name);
    if (m && (await exists(join(hostsDir, `${m[1]!}_${m[2]!}_`)))) found.push(join(hostsDir, `${m[1]!}_${m[2]!}_`));
  }
  return found;
}

export async function likelyCause(input: CauseInput): Promise<string | undefined> {
  const shadows = await shadowingDirs(input.hostsDir, input.registries);
  if (shadows.length > 0) return `a host_port_ directory shadows the agent's file: containerd reads ${shadows.join(', ')} first`;
  if (input.restartPending)
    return 'containerd restart still owed: config.toml changed and containerd has not been restarted since, so it still runs with the old config_path';
  if (input.containerdConfig === undefined)
    return `config.toml is not managed by the agent (--containerd-config none): check that its config_path is ${input.hostsDir}`;
  return configCause(input, input.containerdConfig).catch((err: unknown) => `config.toml cannot be checked: ${(err as Error).message}`);
}

async function configCause(input: CauseInput, path: string): Promise<string | undefined> {
  const current = await readContainerdConfig(path);
  if (current.content === undefined) return `config_path unset: ${path} does not exist`;
  const doc = parseTomlSafely(current.content, path);
  // A file this containerd reads otherwise than the agent edits it (its version, a stale table that wins).
  const problem = configVersionProblem(doc, input.facts);
  if (problem !== undefined) return `${path}: ${problem.field}: ${problem.problem}; ${problem.fix}`;
  const plugin = registryPluginOf(doc.version)!;
  const configPath = tableAt(doc, ['plugins', plugin, 'registry'])?.config_path;
  if (typeof configPath !== 'string' || configPath === '') return `config_path unset in ${path}`;
  const dirs = configPathDirs(configPath);
  if (dirs.length > 1 && !listIsRead(input.facts, tableAt(doc, ['plugins', plugin])?.use_local_image_pull === true)) {
    const version = input.facts.version ? formatContainerdVersion(input.facts.version) : 'of unknown version';
    return `config_path in ${path} is a list (${configPath}), and containerd ${version} pulls CRI images through the transfer service, which reads no directory of a list`;
  }
  if (!dirs.some((d) => sameDir(d, input.hostsDir)))
    return `config_path in ${path} is ${configPath}, elsewhere than the agent's ${input.hostsDir}`;
  try {
    await checkImports(current.path, doc, input.hostsDir, false, input.facts);
  } catch (err) {
    return `a drop-in wins over config.toml: ${err instanceof AgentError ? err.toLine() : String(err)}`;
  }
  return undefined;
}
