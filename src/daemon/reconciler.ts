// The reconcile loop: sources -> model -> (model x health x facts) -> files, one direction, serialised.
import { errorLines } from '../errors.js';
import type { Logger } from '../model.js';
import { type Clock, realClock } from '../clock.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { DEFAULT_PROBE } from '../config/native-schema.js';
import { renderHostsTree, withResolvedMirrors } from '../render/index.js';
import { applyTree, type ApplyResult } from '../apply/apply.js';
import { cleartextCredentialWarnings } from '../cleartext-credentials.js';
import { HealthMonitor, UNKNOWN_PROBE_GAP_MS } from '../health/monitor.js';
import { credentialSecrets } from '../observe/redact.js';
import type { ProbeResult } from '../health/probe.js';
import type { Resolution } from '../health/resolver.js';
import { probeTargets } from '../health/once.js';
import type { AgentConfig, ContainerdFacts, MirrorState, ProbeSettings, RenderedTree } from '../model.js';
import { CoalescingRunner } from '../coalescing-runner.js';
import { RegistryModes, type ModeEntry, type RegistryMode } from './registry-modes.js';
import { withHostsDir } from '../config/effective-config.js';
import type { ContainerdConfig } from '../containerd/managed-config.js';
import type { StateClaim } from '../apply/state-claim.js';

/** The first write never waits longer than this for the first probes, whatever the thresholds. */
export const BOOT_SETTLE_CAP_MS = 15_000;
/** Longest wait between retries of a failed apply. */
const APPLY_RETRY_MAX_MS = 30_000;

export interface ReconcilerOptions {
  sources: string[];
  /** Cluster-provided sources (`--cluster-config`), read after `sources` and limited by the trust boundary. */
  clusterSources?: string[];
  hostsDir?: string;
  stateDir: string;
  facts: ContainerdFacts;
  /** config.toml management; absent where the agent must not touch it (tests of hosts.toml alone). */
  containerd?: ContainerdConfig;
  logger: Logger;
  clock?: Clock;
  /** The state dir's claim, re-asserted before every write; absent in tests that claim nothing. */
  claim?: Pick<StateClaim, 'reassert'>;
  /** Files the agent writes beside the registries' (the hosts-in-effect canary), keyed by path. */
  extraFiles?: (config: AgentConfig) => RenderedTree;
}

export interface ReconcilerEvents {
  /** Something operators see changed: status line, metrics. */
  changed(): void;
  configRejected(codes: string[]): void;
  applied(result: ApplyResult | undefined, error: unknown): void;
  /** A reconcile pass finished, whatever its outcome: the watchdog's proof the loop is alive. */
  reconciled(): void;
  /** Reading the sources started / ended (whatever the outcome): the watchdog times each read. */
  reloadStarted?(): void;
  reloadEnded?(): void;
  modeChanged(registry: string, mode: RegistryMode): void;
  probed(url: string, result: ProbeResult): void;
}

/** Why a config (or config.toml) was refused, as operator lines, and when. */
export interface Refusal {
  lines: string[];
  at: number;
}

export interface LastApply {
  at: number;
  result?: ApplyResult;
  error?: string;
}

/** Everything the status view shows of the loop, as plain data. */
export interface ReconcilerSnapshot {
  startedAt: number;
  /** A valid config has been applied to disk. */
  ready: boolean;
  config: AgentConfig | undefined;
  configHash: string | undefined;
  configFiles: string[];
  /** The config files read from cluster-provided sources. */
  clusterFiles: string[];
  configLoadedAt: number | undefined;
  /** The config's refusal, else config.toml's. */
  refusal: Refusal | undefined;
  lastApply: LastApply | undefined;
  modes: ReadonlyMap<string, ModeEntry>;
}

export class Reconciler {
  readonly startedAt: number;
  readonly monitor: HealthMonitor;
  private loaded: LoadedConfig | undefined;
  private config: AgentConfig | undefined;
  private rejected: Refusal | undefined;
  /** config.toml could not be brought in line (e.g. `mirrors` set); retried at every reconcile. */
  private containerdRefusal: Refusal | undefined;
  private warned = new Set<string>();
  private loadedAt: number | undefined;
  private lastApply: LastApply | undefined;
  private lastSuccessfulApplyAt: number | undefined;
  private readonly modes: RegistryModes;
  private readonly reloader = new CoalescingRunner(() => this.reload());
  private readonly reconciler = new CoalescingRunner(() => this.reconcile());
  private readonly clock: Clock;
  /** While true, reconciles wait: the first write happens once the first probes have settled. */
  private booting = false;
  /** Set by stop(): no reload or write starts after it. */
  private stopping = false;
  /** A failed apply is retried sooner than the periodic reconcile, with back-off. */
  private retryTimer: unknown;
  private failedApplies = 0;
  /** Every credential value any loaded config held: scrubbed from logs even after a rotation. */
  private readonly secretValues = new Set<string>();

  constructor(
    private readonly options: ReconcilerOptions,
    private readonly events: ReconcilerEvents,
  ) {
    this.clock = options.clock ?? realClock;
    this.startedAt = this.clock.now();
    this.modes = new RegistryModes(options.logger, (registry, mode) => this.events.modeChanged(registry, mode));
    this.monitor = new HealthMonitor({
      settings: DEFAULT_PROBE,
      events: {
        onResult: (url, result) => this.events.probed(url, result),
        onTransition: (url, from, to, health) => this.onTransition(url, from, to, health.lastResult),
        onResolved: (url, resolution) => this.onResolved(url, resolution),
      },
    });
  }

  get appliedConfig(): AgentConfig | undefined {
    return this.config;
  }

  /** A valid config has been applied to disk. */
  get ready(): boolean {
    return this.config !== undefined && this.lastSuccessfulApplyAt !== undefined;
  }

  snapshot(): ReconcilerSnapshot {
    const config = this.config;
    const modes = new Map<string, ModeEntry>();
    for (const registry of config?.registries ?? []) {
      const entry = this.modes.get(registry.name);
      if (entry !== undefined) modes.set(registry.name, entry);
    }
    return {
      startedAt: this.startedAt,
      ready: this.ready,
      config,
      configHash: this.loaded?.hash,
      configFiles: this.loaded?.files ?? [],
      clusterFiles: this.loaded?.clusterFiles ?? [],
      configLoadedAt: this.loadedAt,
      refusal: this.rejected ?? this.containerdRefusal,
      lastApply: this.lastApply,
      modes,
    };
  }

  /** Sources the watcher must follow: the config and the credential files it names. */
  watchedPaths(): string[] {
    return [...this.options.sources, ...(this.options.clusterSources ?? []), ...(this.config?.credentialFiles ?? [])];
  }

  /**
   * Loads the config and makes the first write. Probed mirrors start `unknown` and are probed quickly until
   * decided. The first write waits until each is proven up, or has failed a probe (it cannot be up soon, so
   * waiting longer only delays the upstream-only file a dead cache needs), bounded by the time the thresholds
   * take. So a node boots upstream-only when its cache does not answer (invariant 5), and an agent restarted
   * against a correct disk writes nothing (invariant 4) instead of flapping through upstream-only.
   */
  async start(): Promise<void> {
    this.booting = true;
    try {
      await this.reloader.run();
      const config = this.config;
      if (config !== undefined) await this.settle(this.clock.monotonic() + settleBudgetMs(config.probe));
    } finally {
      this.booting = false;
    }
    await this.reconciler.run();
  }

  /** `deadline` on the monotonic clock: a wall clock stepped at boot (NTP) must not stretch the settle. */
  private async settle(deadline: number): Promise<void> {
    const undecided = () =>
      this.monitor.resolving() || [...this.monitor.snapshot().values()].some((h) => h.state === 'unknown' && h.consecutiveFail === 0);
    while (!this.stopping && undecided() && this.clock.monotonic() < deadline)
      await new Promise((resolve) => this.clock.setTimeout(() => resolve(undefined), 20));
  }

  /** Never rejects: a failure is logged, and the next event or tick tries again. */
  requestReload(): Promise<void> {
    return this.reloader.run().catch((err: unknown) => this.internalError('reload', err));
  }

  /** Never rejects, like requestReload. */
  requestReconcile(): Promise<void> {
    return this.reconciler.run().catch((err: unknown) => this.internalError('reconcile', err));
  }

  /** Credential values to scrub from every log line. */
  secrets(): Iterable<string> {
    return this.secretValues;
  }

  private internalError(what: string, err: unknown): void {
    this.options.logger.error(
      { event: 'internal_error', err },
      `internal error in ${what}, continuing: ${err instanceof Error ? err.message : String(err)}`,
    );
  }

  /**
   * No reload, write or boot settle starts after this; a settle in progress ends at its next tick. Called by
   * shutdown before it waits for startup, so a signal during boot does not wait out the settle budget.
   */
  beginStop(): void {
    this.stopping = true;
    this.clock.clearTimeout(this.retryTimer);
  }

  /**
   * Stops reloading and writing first, then probing: the monitor's view empties when it stops, and a write
   * rendered from an empty view would take every probed mirror out of its file on the way down.
   */
  async stop(): Promise<void> {
    this.beginStop();
    await this.reloader.idle();
    await this.reconciler.idle();
    await this.monitor.stop();
  }

  private async reload(): Promise<void> {
    if (this.stopping) return;
    const { logger } = this.options;
    let loaded: LoadedConfig;
    this.events.reloadStarted?.();
    try {
      loaded = await loadConfig(this.options.sources, { clusterSources: this.options.clusterSources });
    } catch (err) {
      this.reject(err);
      return;
    } finally {
      this.events.reloadEnded?.();
    }
    const wasRejected = this.rejected !== undefined;
    this.rejected = undefined;
    if (loaded.hash === this.loaded?.hash) {
      if (wasRejected) {
        logger.info(
          { event: 'config_valid_again', hash: loaded.hash },
          'config is valid again and equal to the applied one; nothing to do',
        );
        this.events.changed();
      }
      return;
    }
    const config = withHostsDir(loaded.config, this.options.hostsDir);
    for (const value of configSecrets(config)) this.secretValues.add(value);
    this.loaded = loaded;
    this.config = config;
    this.loadedAt = this.clock.now();
    logger.info(
      { event: 'config_loaded', hash: loaded.hash, files: loaded.files, registries: config.registries.map((r) => r.name) },
      `config loaded from ${plural(loaded.files.length, 'file')}: ${plural(config.registries.length, 'registry', 'registries')} (${config.registries.map((r) => r.name).join(', ') || 'none'}), hash ${loaded.hash.slice(0, 12)}`,
    );
    this.warnOnce(config);
    this.monitor.setTargets(probeTargets(config), config.probe, config.dns);
    await this.reconciler.run();
  }

  /** Each warning is logged when it first appears, not at every reload; status shows the current ones. */
  private warnOnce(config: AgentConfig): void {
    const current = cleartextCredentialWarnings(config);
    for (const { registry, message } of current) {
      if (!this.warned.has(message)) this.options.logger.warn({ event: 'credential_in_clear', registry }, message);
    }
    this.warned = new Set(current.map((w) => w.message));
  }

  private reject(err: unknown): void {
    const { lines } = errorLines(err);
    const key = lines.join('\n');
    if (this.rejected !== undefined && this.rejected.lines.join('\n') === key) return;
    this.rejected = { lines, at: this.clock.now() };
    const kept = this.loaded === undefined ? 'nothing applied yet' : `kept the last good config ${this.loaded.hash.slice(0, 12)}`;
    this.options.logger.error({ event: 'config_rejected', errors: lines }, `config rejected (${kept}): ${lines.join('; ')}`);
    this.events.configRejected(codesOf(lines));
    this.events.changed();
  }

  private async reconcile(): Promise<void> {
    const config = this.config;
    if (config === undefined || this.booting || this.stopping) return;
    const health = this.monitor.view();
    const written = this.withAddresses(config);
    const at = this.clock.now();
    try {
      await this.reassertClaim();
      const tree = new Map([...(this.options.extraFiles?.(config) ?? []), ...renderHostsTree(written, health, this.options.facts)]);
      const result = await applyTree(tree, { hostsDir: config.hostsDir, stateDir: this.options.stateDir });
      this.lastApply = { at, result };
      this.lastSuccessfulApplyAt = at;
      this.failedApplies = 0;
      this.logApply(result);
      this.events.applied(result, undefined);
      await this.updateContainerdConfig(config);
    } catch (err) {
      const line = errorLines(err).lines.join('; ');
      this.lastApply = { at, error: line };
      this.failedApplies += 1;
      const retryMs = Math.min(APPLY_RETRY_MAX_MS, 1000 * 2 ** (this.failedApplies - 1));
      this.options.logger.error(
        { event: 'apply_failed', retryInMs: retryMs },
        `apply failed, retrying in ${Math.round(retryMs / 1000)}s: ${line}`,
      );
      this.events.applied(undefined, err);
      this.clock.clearTimeout(this.retryTimer);
      this.retryTimer = this.clock.setTimeout(() => void this.requestReconcile(), retryMs);
    } finally {
      this.modes.update(written, health, at);
      this.events.reconciled();
      this.events.changed();
    }
  }

  /** Another writer never gets in unnoticed: a lost claim is taken back, or the write fails (CMA_STATE_BUSY). */
  private async reassertClaim(): Promise<void> {
    if (await this.options.claim?.reassert()) {
      this.options.logger.warn(
        { event: 'state_claim_reasserted', stateDir: this.options.stateDir },
        `the claim on ${this.options.stateDir} was gone (was the state dir deleted?); claimed it again before writing`,
      );
    }
  }

  /** After hosts.toml, so config_path never points containerd at a directory not yet written. */
  private async updateContainerdConfig(config: AgentConfig): Promise<void> {
    if (this.options.containerd === undefined || this.loaded === undefined) return;
    try {
      await this.options.containerd.update(config, this.loaded.hash);
      if (this.containerdRefusal !== undefined) {
        this.containerdRefusal = undefined;
        this.options.logger.info({ event: 'containerd_config_ok' }, "containerd's config.toml is in line again");
      }
    } catch (err) {
      const { lines } = errorLines(err);
      if (this.containerdRefusal?.lines.join('\n') === lines.join('\n')) return;
      this.containerdRefusal = { lines, at: this.clock.now() };
      this.options.logger.error(
        { event: 'containerd_config_refused', errors: lines },
        `containerd's config.toml left as it is (hosts.toml files are still managed; CRI pulls use them only once config_path is set): ${lines.join('; ')}`,
      );
      this.events.configRejected(codesOf(lines));
    }
  }

  private logApply(result: ApplyResult): void {
    const { logger } = this.options;
    for (const path of result.backedUp)
      logger.info({ event: 'file_backed_up', path }, `backed up pre-existing ${path} before taking it over`);
    for (const path of result.written) logger.info({ event: 'file_written', path }, `wrote ${path}`);
    for (const path of result.removed) logger.info({ event: 'file_removed', path }, `removed ${path} (registry no longer configured)`);
    for (const path of result.restored) logger.info({ event: 'file_restored', path }, `restored the original ${path}`);
  }

  /** The config as written: each DNS-named mirror replaced by the addresses it resolved to. */
  private withAddresses(config: AgentConfig): AgentConfig {
    return withResolvedMirrors(config, this.monitor.resolved());
  }

  private onResolved(url: string, resolution: Resolution): void {
    const { logger } = this.options;
    if (resolution.error === undefined) {
      logger.info(
        { event: 'mirror_resolved', mirror: url, name: resolution.name, addresses: resolution.addresses, note: resolution.note },
        `mirror ${url} resolves to ${resolution.addresses.join(', ')}${resolution.note === undefined ? '' : `; ${resolution.note}`}`,
      );
    } else {
      logger.warn(
        { event: 'mirror_resolve_failed', mirror: url, name: resolution.name, error: resolution.error },
        `mirror ${url} does not resolve: ${resolution.error}`,
      );
    }
    this.events.changed();
    if (!this.stopping) void this.requestReconcile();
  }

  private onTransition(url: string, from: MirrorState, to: MirrorState, last: ProbeResult | undefined): void {
    const written = this.config === undefined ? [] : this.withAddresses(this.config).registries;
    const registries = written.filter((r) => r.mirrors.some((m) => m.url === url)).map((r) => r.name);
    const why =
      last === undefined
        ? ''
        : last.ok
          ? ` (HTTP ${last.status ?? '?'} in ${Math.round(last.durationMs)}ms)`
          : ` (${last.error ?? 'probe failed'})`;
    const level = to === 'down' ? 'warn' : 'info';
    this.options.logger[level](
      { event: 'mirror_state', mirror: url, from, to, registries },
      `mirror ${url} of ${registries.join(', ') || 'no registry'} is ${to}${why}, was ${from}`,
    );
    if (!this.stopping) void this.requestReconcile();
  }
}

/** How long the first write may wait for the first probes: the thresholds at the quick `unknown` cadence. */
function settleBudgetMs(probe: ProbeSettings): number {
  const rounds = Math.max(probe.successThreshold, 1);
  return Math.min(BOOT_SETTLE_CAP_MS, rounds * (UNKNOWN_PROBE_GAP_MS + probe.timeoutMs));
}

function configSecrets(config: AgentConfig): string[] {
  return config.registries
    .flatMap((r) => [r.auth, ...r.mirrors.map((m) => m.auth)])
    .flatMap((c) => (c === undefined ? [] : credentialSecrets(c)));
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function codesOf(lines: string[]): string[] {
  return lines.map((line) => /\[(CMA_[A-Z_]+)\]$/.exec(line)?.[1] ?? 'CMA_INTERNAL');
}
