// doctor's view of config.toml: what containerd will actually use for registries. When the containerd
// binary is at hand, its own `config dump` is read, because imported files can override config.toml (on
// 1.6.20 an import that sets the CRI plugin replaces the whole CRI table); otherwise config.toml as written.
// The dump holds passwords: it is parsed, never printed.
import { execFile } from 'node:child_process';
import type { DoctorReport } from './doctor-report.js';
import { registryHoldsCredential } from '../containerd/config-toml.js';
import { configVersionProblem, registryPluginOf } from '../containerd/config-version.js';
import { readContainerdConfig } from '../containerd/config-file.js';
import { parseTomlSafely, tableAt, type TomlTable } from '../containerd/toml-text.js';
import { AgentError } from '../errors.js';
import type { ContainerdFacts } from '../model.js';
import { configPathDirs, listIsRead, sameDir } from '../containerd/config-path.js';
import { formatContainerdVersion } from '../containerd/detect.js';
import { checkImports } from '../containerd/imports.js';

const DUMP_TIMEOUT_MS = 10_000;

export interface EffectiveRegistry {
  registry: TomlTable;
  pluginId: string;
  mode: number | undefined;
  /** config.toml itself (not its imports) holds a credential: then its mode matters. */
  holdsCredential: boolean;
}

function configDump(binary: string, path: string): Promise<TomlTable | undefined> {
  return new Promise((resolve) => {
    execFile(
      binary,
      ['--config', path, 'config', 'dump'],
      { timeout: DUMP_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 16 << 20 },
      (err, stdout) => {
        if (err) return resolve(undefined);
        try {
          resolve(parseTomlSafely(stdout, 'containerd config dump'));
        } catch {
          resolve(undefined);
        }
      },
    );
  });
}

const pluginFor = (doc: TomlTable): string | undefined => registryPluginOf(doc.version);

/** Checks the file, reports what it finds, and returns the registry settings containerd will use. */
export async function checkContainerdConfig(
  report: DoctorReport,
  path: string,
  hostsDir: string,
  binary: string,
  facts: ContainerdFacts = {},
): Promise<EffectiveRegistry | undefined> {
  let current;
  try {
    current = await readContainerdConfig(path);
  } catch (err) {
    report.problem(
      `${path} cannot be read: ${(err as AgentError).message}`,
      `check the file's permissions; doctor runs as root on the node`,
    );
    return undefined;
  }
  if (current.content === undefined) {
    report.problem(
      `${path} does not exist: containerd runs with defaults and CRI pulls ignore hosts.toml`,
      'run `containerd-mirror-agent apply` (or `run`), which creates it with config_path set',
    );
    return undefined;
  }
  let doc: TomlTable;
  try {
    doc = parseTomlSafely(current.content, path);
  } catch (err) {
    report.problem((err as AgentError).toLine(), 'fix the TOML syntax; containerd does not start with this file either');
    return undefined;
  }
  const problem = configVersionProblem(doc, facts);
  if (problem !== undefined) report.problem(`${path}: ${problem.field}: ${problem.problem}`, problem.fix);
  const pluginId = pluginFor(doc);
  // A version this containerd does not start with (or none at all): nothing more to check in it.
  if (pluginId === undefined || problem?.field === 'version') return undefined;
  report.line(`config.toml: ${path}, version ${String(doc.version)}, registry plugin ${pluginId}`);
  const dump = await configDump(binary, path);
  const dumpPlugin = dump && pluginFor(dump);
  const source = dump && dumpPlugin ? dump : doc;
  const effectivePlugin = dump && dumpPlugin ? dumpPlugin : pluginId;
  report.line(
    source === dump
      ? '  settings checked: containerd config dump (imports applied)'
      : '  settings checked: config.toml as written (containerd not available to apply imports)',
  );
  const registry = tableAt(source, ['plugins', effectivePlugin, 'registry']) ?? {};
  const listRead = listIsRead(facts, tableAt(source, ['plugins', effectivePlugin])?.use_local_image_pull === true);
  checkRegistryTable(report, registry, path, hostsDir, listRead, facts);
  await checkImports(current.path, doc, hostsDir, false, facts).catch((err: unknown) => {
    if (!(err instanceof AgentError)) throw err;
    report.problem(
      `a drop-in wins over config.toml: ${err.toLine()}`,
      'edit or remove that drop-in as said, then restart containerd; the agent only edits config.toml',
    );
  });
  const own = tableAt(doc, ['plugins', pluginId, 'registry']) ?? {};
  return { registry, pluginId: effectivePlugin, mode: current.mode, holdsCredential: registryHoldsCredential(own) };
}

function checkRegistryTable(
  report: DoctorReport,
  registry: TomlTable,
  path: string,
  hostsDir: string,
  listRead: boolean,
  facts: ContainerdFacts,
): void {
  const configPath = typeof registry.config_path === 'string' ? registry.config_path : '';
  const dirs = configPathDirs(configPath);
  const version = facts.version ? `containerd ${formatContainerdVersion(facts.version)}` : 'this containerd (version unknown)';
  if (configPath === '') {
    report.problem(
      'registry.config_path is not set: CRI pulls ignore every hosts.toml',
      `run \`containerd-mirror-agent apply\`, or set config_path = "${hostsDir}" in ${path}, then restart containerd`,
    );
  } else if (dirs.length > 1 && !listRead) {
    const fix = dirs.some((d) => sameDir(d, hostsDir))
      ? `run \`containerd-mirror-agent apply\` (it sets config_path = "${hostsDir}" and names what the other directories hold), then restart containerd`
      : `set the agent's hostsDir to ${dirs[0]!}, then run \`containerd-mirror-agent apply\` and restart containerd`;
    report.problem(
      `registry.config_path is a list (${configPath}): ${version} pulls CRI images through the transfer service, which reads no directory of a list, so every hosts.toml is ignored`,
      fix,
    );
  } else if (dirs.length > 1 && dirs.some((d) => sameDir(d, hostsDir))) {
    report.line(`  config_path: ${configPath} (a list with the agent's hosts dir; ${version} reads lists on its CRI pull path)`);
  } else if (dirs.length > 1) {
    report.problem(
      `registry.config_path is the list ${configPath}, none of which is the agent's hosts dir ${hostsDir}`,
      `set the agent's hostsDir to ${dirs[0]!}`,
    );
  } else if (!sameDir(configPath, hostsDir)) {
    report.problem(
      `registry.config_path is ${configPath}, but the agent writes to ${hostsDir}`,
      `set the agent's hostsDir to ${configPath}, or config_path to ${hostsDir}`,
    );
  } else {
    report.line(`  config_path: ${configPath} (the agent's hosts dir)`);
  }
  const mirrors = Object.keys(tableAt(registry, ['mirrors']) ?? {});
  if (mirrors.length > 0) {
    report.problem(
      `registry.mirrors is set for ${mirrors.join(', ')}: containerd refuses mirrors together with config_path (the CRI plugin fails to load)`,
      `move these mirrors into the agent config and delete the mirrors table from ${path}`,
    );
  }
}
