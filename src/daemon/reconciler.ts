// The reconcile loop: sources -> model -> (model x health x facts) -> files, one direction, serialised. It loops
// and nothing else: daemon.ts builds the health monitor and the secret set and hands them in, each event enters
// once (requestReload, requestReconcile, mirrorChanged, mirrorResolved), and event-lines.ts words the log lines.
import { errorLines } from '../errors.js';
import type { Logger } from '../model.js';
import { type Clock, realClock } from '../clock.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { renderHostsTree, withResolvedMirrors } from '../render/index.js';
import { applyTree, type ApplyResult } from '../apply/apply.js';
import { cleartextCredentialWarnings } from '../cleartext-credentials.js';
import { type HealthMonitor, UNKNOWN_PROBE_GAP_MS } from '../health/monitor.js';
import type { MirrorHealth } from '../health/state-machine.js';
import { configSecrets } from '../observe/redact.js';
import type { Resolution } from '../health/resolver.js';
import { probeTargets } from '../health/probe-targets.js';
import type { AgentConfig, ContainerdFacts, MirrorState, ProbeSettings, RegistryMode, RenderedTree } from '../model.js';
import { CoalescingRunner } from '../coalescing-runner.js';
import { RegistryModes } from './registry-modes.js';
import type { LastApply, ReconcilerSnapshot, Refusal } from './status-view.js';
import { EventLines } from './event-lines.js';
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
  /** The probe loop, built by the daemon; its transitions come back through mirrorChanged / mirrorResolved. */
  monitor: HealthMonitor;
  /** Every credential value any loaded config held is added here, for the logger to scrub even after a rotation. */
  secrets?: Set<string>;
  clock?: Clock;
  /** The state dir's claim, re-asserted before every write; absent in tests that claim nothing. */
  claim?: Pick<StateClaim, 'reassert'>;
  /** Files the agent writes beside the registries' (the hosts-in-effect canary), keyed by path. */
  extraFiles?: (config: AgentConfig) => RenderedTree;
}

export interface ReconcilerEvents {
  /** Something operators see changed: status line, metrics. */
  changed(snapshot: ReconcilerSnapshot): void;
  /** A new valid config replaced the previous one (its files are written by the reconcile that follows). */
  configApplied?(config: AgentConfig): void;
  /** The config, or config.toml, was refused: the codes of its errors, one per line. */
  configRejected(codes: string[]): void;
  applied(result: ApplyResult | undefined, error: unknown): void;
  /** A reconcile pass finished, whatever its outcome: the watchdog's proof the loop is alive. */
  reconciled(): void;
  /** Reading the sources started / ended (whatever the outcome): the watchdog times each read. */
  reloadStarted?(): void;
  reloadEnded?(): void;
  modeChanged(registry: string, mode: RegistryMode): void;
}

export class Reconciler {
  readonly startedAt: number;
  private readonly monitor: HealthMonitor;
  private loaded: LoadedConfig | undefined;
  private config: AgentConfig | undefined;
  private rejected: Refusal | undefined;
  /** config.toml could not be brought in line (e.g. `mirrors` set); retried at every reconcile. */
  private containerdRefusal: Refusal | undefined;
  private loadedAt: number | undefined;
  private lastApply: LastApply | undefined;
  private lastSuccessfulApplyAt: number | undefined;
  private readonly modes: RegistryModes;
  private readonly lines: EventLines;
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

  constructor(
    private readonly options: ReconcilerOptions,
    private readonly events: ReconcilerEvents,
  ) {
    this.clock = options.clock ?? realClock;
    this.monitor = options.monitor;
    this.startedAt = this.clock.now();
    this.lines = new EventLines(options.logger);
    this.modes = new RegistryModes(this.lines, (registry, mode) => this.events.modeChanged(registry, mode));
  }

  /** A valid config has been applied to disk, and the last apply did not fail (a full disk, a lost claim). */
  get ready(): boolean {
    return this.config !== undefined && this.lastSuccessfulApplyAt !== undefined && this.failedApplies === 0;
  }

  snapshot(): ReconcilerSnapshot {
    const config = this.config;
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
      modes: this.modes.of(config),
    };
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
    while (!this.stopping && this.monitor.undecided() && this.clock.monotonic() < deadline)
      await new Promise((resolve) => this.clock.setTimeout(() => resolve(undefined), 20));
  }

  /** Never rejects: a failure is logged, and the next event or tick tries again. */
  requestReload(): Promise<void> {
    return this.reloader.run().catch((err: unknown) => this.lines.internalError('reload', err));
  }

  /** Never rejects, like requestReload. */
  requestReconcile(): Promise<void> {
    return this.reconciler.run().catch((err: unknown) => this.lines.internalError('reconcile', err));
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
   * Stops reloading and writing. The monitor's owner stops it after this, never before: its view empties when
   * it stops, and a write rendered from an empty view would take every probed mirror out of its file.
   */
  async stop(): Promise<void> {
    this.beginStop();
    await this.reloader.idle();
    await this.reconciler.idle();
  }

  private async reload(): Promise<void> {
    if (this.stopping) return;
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
        this.lines.configValidAgain(loaded.hash);
        this.events.changed(this.snapshot());
      }
      return;
    }
    const config = withHostsDir(loaded.config, this.options.hostsDir);
    for (const value of configSecrets(config)) this.options.secrets?.add(value);
    this.loaded = loaded;
    this.config = config;
    this.loadedAt = this.clock.now();
    this.lines.configLoaded(loaded, config);
    this.events.configApplied?.(config);
    this.lines.credentialsInClear(cleartextCredentialWarnings(config));
    this.monitor.setTargets(probeTargets(config), config.probe, config.dns);
    await this.reconciler.run();
  }

  private reject(err: unknown): void {
    const refusal = this.refusalOf(err, this.rejected);
    if (refusal === undefined) return;
    this.rejected = refusal;
    this.lines.configRejected(refusal.lines, this.loaded?.hash);
    this.events.configRejected(refusal.codes);
    this.events.changed(this.snapshot());
  }

  /** `err` as a refusal, or undefined when it says what `previous` said (one line per refusal, not per pass). */
  private refusalOf(err: unknown, previous: Refusal | undefined): Refusal | undefined {
    const { lines, codes } = errorLines(err);
    if (previous?.lines.join('\n') === lines.join('\n')) return undefined;
    return { lines, codes, at: this.clock.now() };
  }

  private async reconcile(): Promise<void> {
    const config = this.config;
    if (config === undefined || this.booting || this.stopping) return;
    const health = this.monitor.view();
    const written = withResolvedMirrors(config, this.monitor.resolved());
    const at = this.clock.now();
    try {
      // Another writer never gets in unnoticed: a lost claim is taken back, or the write fails (CMA_STATE_BUSY).
      if (await this.options.claim?.reassert()) this.lines.stateClaimReasserted(this.options.stateDir);
      const tree = new Map([...(this.options.extraFiles?.(config) ?? []), ...renderHostsTree(written, health, this.options.facts)]);
      const result = await applyTree(tree, { hostsDir: config.hostsDir, stateDir: this.options.stateDir });
      this.lastApply = { at, result };
      this.lastSuccessfulApplyAt = at;
      this.failedApplies = 0;
      this.lines.filesChanged(result);
      this.events.applied(result, undefined);
      await this.updateContainerdConfig(config);
    } catch (err) {
      const line = errorLines(err).lines.join('; ');
      this.lastApply = { at, error: line };
      this.failedApplies += 1;
      const retryMs = Math.min(APPLY_RETRY_MAX_MS, 1000 * 2 ** (this.failedApplies - 1));
      this.lines.applyFailed(line, retryMs);
      this.events.applied(undefined, err);
      this.clock.clearTimeout(this.retryTimer);
      this.retryTimer = this.clock.setTimeout(() => void this.requestReconcile(), retryMs);
    } finally {
      this.modes.update(written, health, at);
      this.events.reconciled();
      this.events.changed(this.snapshot());
    }
  }

  /** After hosts.toml, so config_path never points containerd at a directory not yet written. */
  private async updateContainerdConfig(config: AgentConfig): Promise<void> {
    if (this.options.containerd === undefined || this.loaded === undefined) return;
    try {
      await this.options.containerd.update(config, this.loaded.hash);
      if (this.containerdRefusal !== undefined) {
        this.containerdRefusal = undefined;
        this.lines.containerdConfigOk();
      }
    } catch (err) {
      const refusal = this.refusalOf(err, this.containerdRefusal);
      if (refusal === undefined) return;
      this.containerdRefusal = refusal;
      this.lines.containerdConfigRefused(refusal.lines);
      this.events.configRejected(refusal.codes);
    }
  }

  /** The monitor's `onResolved`: a named mirror's addresses changed. */
  mirrorResolved(url: string, resolution: Resolution): void {
    this.lines.mirrorResolved(url, resolution);
    this.events.changed(this.snapshot());
    if (!this.stopping) void this.requestReconcile();
  }

  /** The monitor's `onTransition`: a mirror went up or down; the line names the registries whose file lists it. */
  mirrorChanged(url: string, from: MirrorState, to: MirrorState, health: MirrorHealth): void {
    const written = this.config === undefined ? [] : withResolvedMirrors(this.config, this.monitor.resolved()).registries;
    const registries = written.filter((r) => r.mirrors.some((m) => m.url === url)).map((r) => r.name);
    this.lines.mirrorState(url, from, to, health.lastResult, registries);
    if (!this.stopping) void this.requestReconcile();
  }
}

/** How long the first write may wait for the first probes: the thresholds at the quick `unknown` cadence. */
function settleBudgetMs(probe: ProbeSettings): number {
  const rounds = Math.max(probe.successThreshold, 1);
  return Math.min(BOOT_SETTLE_CAP_MS, rounds * (UNKNOWN_PROBE_GAP_MS + probe.timeoutMs));
}
