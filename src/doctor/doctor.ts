// `doctor`: one pass over everything that decides whether this node's pulls use the cache and the
// credentials, each finding with the fix. Reads only; the CLI exits 0 when healthy, 1 otherwise.
// Credentials are named by host, never shown.
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AgentError } from '../errors.js';
import { shadowingDirName } from '../hosts-lookup.js';
import { cleartextCredentialWarnings } from '../cleartext-credentials.js';
import { contactedHost } from '../auth-placement.js';
import type { AgentConfig, Credential, Registry } from '../model.js';
import { authHeader } from '../render/header.js';
import { hostsTomlPath } from '../render/hosts-toml.js';
import { containerdAuths } from '../containerd/auths.js';
import { checkContainerdConfig, type EffectiveRegistry } from './doctor-config.js';
import { DoctorReport, type DoctorResult } from './doctor-report.js';
import { readRestartState } from '../containerd/restart-state.js';
import { registryConfigsNote } from '../containerd/registry-configs-note.js';
import { parseTomlSafely, tableAt, type TomlTable } from '../containerd/toml-text.js';
import { detectContainerdFacts, formatContainerdVersion } from '../containerd/detect.js';
import { DEFAULT_RESTART_COMMAND } from '../config/native-schema.js';

export { formatDoctorReport, type DoctorResult, type DoctorProblem } from './doctor-report.js';

export type Probe = (url: string) => Promise<{ ok: boolean; error?: string }>;

/** What doctor reads from the running agent's /status: its readiness (and why not) and the canary's verdict. */
export interface RunningAgent {
  ready: boolean;
  notReadyReason?: string;
  hostsInEffect: boolean | null;
  checkedAt?: string;
  reason?: string;
}

export interface DoctorOptions {
  /** undefined: `--containerd-config none`, config.toml belongs to someone else (k3s, an image build). */
  containerdConfig: string | undefined;
  hostsDir: string;
  stateDir: string;
  /** The agent config, when it loaded. */
  config?: AgentConfig;
  /** Why it did not, as one line. */
  loadError?: string;
  probe: Probe;
  containerdBinary?: string;
  /**
   * The running agent's canary verdict (its /status `containerd`), or why it could not be asked. doctor does not
   * run a canary of its own: a CRI pull is the agent's to make, on its schedule.
   */
  agent?: RunningAgent | { unreachable: string };
}

/** What the packaged unit passes to `run` (systemd/containerd-mirror-agent.service). */
const PACKAGED_CONFIG_FLAGS = '--config /etc/containerd-mirror-agent/ --cluster-config /etc/containerd-mirror-agent/cluster.d/';

export async function runDoctor(options: DoctorOptions): Promise<DoctorResult> {
  const report = new DoctorReport();
  const binary = options.containerdBinary ?? 'containerd';
  const facts = await detectContainerdFacts(binary);
  report.line(
    `containerd: ${facts.version ? formatContainerdVersion(facts.version) : `version unknown (\`${binary} --version\` gave nothing usable; hosts.toml is written for the oldest supported version)`}`,
  );

  const path = options.containerdConfig;
  if (path === undefined)
    report.line(`config.toml: not checked (--containerd-config none: its owner must set the registry config_path = "${options.hostsDir}")`);
  const effective = path === undefined ? undefined : await checkContainerdConfig(report, path, options.hostsDir, binary, facts);
  if (options.config) {
    const auths = configAuths(report, options.config);
    await checkRegistries(report, options.config, options.hostsDir, options.probe, auths, effective);
    const note = registryConfigsNote(facts, [...auths.keys()].sort());
    if (note !== undefined) report.line(`  note: ${note}`);
  } else if (options.loadError !== undefined) {
    report.problem(
      `the agent config could not be loaded: ${options.loadError}`,
      'run `containerd-mirror-agent validate` with the same --config and fix what it reports',
    );
  } else {
    // Not a fault of the node: the registries are simply not checked.
    report.line(
      `agent config: not checked, no --config given; to check the registries too, pass the agent's own: ${PACKAGED_CONFIG_FLAGS}`,
    );
  }
  if (path !== undefined) checkConfigMode(report, path, effective);
  if (options.agent !== undefined) checkRunningAgent(report, options.agent);
  await checkRestart(report, options.stateDir, options.config?.restartCommand.join(' ') ?? DEFAULT_RESTART_COMMAND.join(' '));
  return report.result();
}

interface HostsFile {
  hosts: string[];
  /** URL (or 'server') -> whether an Authorization header is set for it. */
  headers: Map<string, boolean>;
}

async function readHostsFile(report: DoctorReport, path: string): Promise<HostsFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    report.problem(
      `${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}): containerd pulls this registry upstream-only, without the cache`,
      'run `containerd-mirror-agent apply`, or check that `run` is running (`containerd-mirror-agent status`)',
    );
    return undefined;
  }
  let doc: TomlTable;
  try {
    doc = parseTomlSafely(text, path);
  } catch (err) {
    report.problem(
      `${(err as AgentError).toLine()}: containerd silently ignores this file`,
      'run `containerd-mirror-agent apply`; it rewrites files the agent owns',
    );
    return undefined;
  }
  const hostTable = tableAt(doc, ['host']) ?? {};
  const hasHeader = (t: TomlTable | undefined): boolean =>
    Object.keys(tableAt(t ?? {}, ['header']) ?? {}).some((k) => k.toLowerCase() === 'authorization');
  const headers = new Map<string, boolean>([['server', hasHeader(doc)]]);
  for (const url of Object.keys(hostTable)) headers.set(url, hasHeader(tableAt(hostTable, [url])));
  return { hosts: Object.keys(hostTable), headers };
}

async function checkRegistries(
  report: DoctorReport,
  config: AgentConfig,
  hostsDir: string,
  probe: Probe,
  auths: ReadonlyMap<string, Credential>,
  effective: EffectiveRegistry | undefined,
): Promise<void> {
  const probes = new Map<string, Promise<{ ok: boolean; error?: string }>>();
  for (const mirror of config.registries.flatMap((r) => r.mirrors)) {
    if (!probes.has(mirror.url))
      probes.set(
        mirror.url,
        probe(mirror.url).catch((err: unknown) => ({ ok: false, error: (err as Error).message })),
      );
  }
  const credentialsChecked = new Set<string>();
  for (const registry of config.registries) {
    const path = hostsTomlPath(hostsDir, registry.name);
    await checkShadow(report, hostsDir, registry.name, path);
    const file = await readHostsFile(report, path);
    if (file)
      report.line(
        `${registry.name}: ${path} lists ${[...file.hosts, `server ${registry.server ?? "(each image's own registry)"}`].join(', then ')}`,
      );
    for (const mirror of registry.mirrors) {
      const result = await probes.get(mirror.url)!;
      const listed = file?.hosts.includes(mirror.url) ?? false;
      report.line(
        `  mirror ${mirror.url}: ${result.ok ? 'answers' : `does not answer (${result.error ?? 'failed'})`}, ${listed ? 'in hosts.toml' : 'not in hosts.toml'}`,
      );
      if (!result.ok && listed) {
        report.problem(
          `mirror ${mirror.url} of ${registry.name} does not answer but ${path} still lists it: every pull of ${registry.name} waits for it before falling back`,
          'check the agent is running (`containerd-mirror-agent status`); it removes a dead mirror within its failure threshold',
        );
      }
    }
    if (file) checkHeaderCredentials(report, registry, file, path);
    for (const warning of cleartextCredentialWarnings({ ...config, registries: [registry] })) report.line(`  warning: ${warning.message}`);
    // Under the registry whose hosts they are for (the server's, then each mirror's), once for a shared host.
    const hosts = new Set(
      [...(registry.server === undefined ? [] : [registry.server]), ...registry.mirrors.map((m) => m.url)].map(contactedHost),
    );
    for (const host of [...hosts].filter((h) => auths.has(h) && !credentialsChecked.has(h))) {
      credentialsChecked.add(host);
      if (effective) checkConfigCredential(report, host, effective);
    }
  }
}

async function checkShadow(report: DoctorReport, hostsDir: string, name: string, path: string): Promise<void> {
  const shadowName = shadowingDirName(name);
  if (shadowName === undefined) return;
  const shadow = join(hostsDir, shadowName);
  // stat, as containerd does: a symlink there counts, a dangling one does not.
  if (
    !(await stat(shadow).then(
      () => true,
      () => false,
    ))
  )
    return;
  report.problem(
    `${shadow} shadows ${path}: containerd reads \`<host>_<port>_\` before \`<host>:<port>\`, so it never reads the agent's file for ${name}`,
    `move what it holds into the agent config (certificates into ${dirname(path)}), then remove ${shadow}`,
  );
}

function checkHeaderCredentials(report: DoctorReport, registry: Registry, file: HostsFile, path: string): void {
  const expected: Array<[string, string]> = [];
  if (registry.server !== undefined && authHeader(registry.auth, registry.authMode, 'upstream')) expected.push(['server', registry.server]);
  for (const m of registry.mirrors) {
    if (authHeader(m.auth, m.authMode, 'mirror') && file.hosts.includes(m.url)) expected.push([m.url, m.url]);
  }
  for (const [key, url] of expected) {
    if (file.headers.get(key)) report.line(`  credential for ${new URL(url).host}: Authorization header in hosts.toml`);
    else report.problem(`the credential for ${new URL(url).host} is missing from ${path}`, 'run `containerd-mirror-agent apply`');
  }
}

/** The credentials that belong in config.toml; none (and a problem) when the agent config gives two for one host. */
function configAuths(report: DoctorReport, config: AgentConfig): ReadonlyMap<string, Credential> {
  try {
    return containerdAuths(config);
  } catch (err) {
    report.problem((err as AgentError).toLine(), 'give each host one credential in the agent config');
    return new Map();
  }
}

function checkConfigCredential(report: DoctorReport, host: string, effective: EffectiveRegistry): void {
  const auth = tableAt(effective.registry, ['configs', host, 'auth']);
  const present = auth !== undefined && ['username', 'auth', 'identitytoken'].some((k) => typeof auth[k] === 'string' && auth[k] !== '');
  if (present) report.line(`  credential for ${host}: config.toml auth`);
  else
    report.problem(
      `the credential for ${host} is not in containerd's config.toml auth`,
      'run `containerd-mirror-agent apply`, then restart containerd',
    );
}

/** Only a file that holds a credential must be 0600: Debian's stock config.toml holds none. */
function checkConfigMode(report: DoctorReport, path: string, effective: EffectiveRegistry | undefined): void {
  if (effective?.holdsCredential !== true || effective.mode === undefined || (effective.mode & 0o077) === 0) return;
  report.problem(`${path} holds credentials but its mode is ${effective.mode.toString(8).padStart(4, '0')}`, `chmod 600 ${path}`);
}

async function checkRestart(report: DoctorReport, stateDir: string, command: string): Promise<void> {
  let state;
  try {
    state = await readRestartState(stateDir);
  } catch (err) {
    report.problem((err as AgentError).toLine(), 'delete the file; the agent writes it again');
    return;
  }
  if (state?.restartPending) {
    report.problem(
      `containerd must be restarted to read config.toml${state.pendingSince ? ` (pending since ${state.pendingSince})` : ''}: ${state.reason ?? 'config.toml changed'}`,
      `run \`${command}\``,
    );
  } else {
    report.line(`containerd restart: none pending${state?.lastRestartAt ? ` (last by the agent at ${state.lastRestartAt})` : ''}`);
  }
  if (state?.lastError)
    report.problem(`the last containerd restart failed: ${state.lastError}`, `run \`${command}\` by hand and read its error`);
}

/** What the running agent's canary proved: the one check that sees containerd actually read the hosts dir. */
function checkRunningAgent(report: DoctorReport, agent: NonNullable<DoctorOptions['agent']>): void {
  if ('unreachable' in agent) {
    report.problem(
      `the agent is not running or does not answer (${agent.unreachable}): nothing follows the cache's health, and whether containerd reads the hosts dir is not known`,
      'start it (`systemctl enable --now containerd-mirror-agent`); `systemctl status containerd-mirror-agent` and `journalctl -u containerd-mirror-agent` say why it stopped; if it listens elsewhere, pass its --listen (or CMA_LISTEN)',
    );
    return;
  }
  if (!agent.ready) {
    report.problem(
      `the running agent is not ready${agent.notReadyReason === undefined ? '' : `: ${agent.notReadyReason}`}`,
      'fix what it reports (`containerd-mirror-agent status`, `journalctl -u containerd-mirror-agent -p warning`); it is ready after its next successful apply',
    );
  }
  if (agent.hostsInEffect === true) {
    report.line(
      `hosts in effect: yes, containerd read the agent's canary hosts.toml${agent.checkedAt === undefined ? '' : ` (checked ${agent.checkedAt})`}`,
    );
  } else if (agent.hostsInEffect === false) {
    report.problem(
      `containerd does not read the agent's hosts dir (the running agent's canary pull): ${agent.reason ?? 'no reason given'}`,
      'fix what the reason names (the checks above say how), then wait for the next check (every 5 minutes, and after each restart) or restart the agent',
    );
  } else {
    report.line(`hosts in effect: not checked yet by the running agent${agent.reason === undefined ? '' : `: ${agent.reason}`}`);
  }
}
