// config.toml as the agent manages it (config_path + the credentials placed there), and the containerd
// restart it may owe. Synced when the agent config changes, never on a mirror flip: flips only touch
// hosts.toml, which containerd re-reads on every pull (invariant 6).
import type { Logger } from '../model.js';
import {
  giveBackContainerdConfig,
  givenBackLine,
  readContainerdConfig,
  updateContainerdConfig,
  type GivenBack,
  type UpdatedConfig,
} from './config-file.js';
import { AgentError } from '../errors.js';
import { RestartPolicy, type RestartInfo } from './restart.js';
import { registryConfigsNote } from './registry-configs-note.js';
import { readRestartState, writeRestartState } from './restart-state.js';
import type { AgentConfig, ContainerdFacts } from '../model.js';

export interface ContainerdConfigOptions {
  path: string;
  stateDir: string;
  facts: ContainerdFacts;
  noRestart: boolean;
  logger: Logger;
  /** `apply` and `restore`: an owed restart runs in `finish()`, a few tries at most, since they must end. */
  oneShot?: boolean;
  onRestart?: (result: 'success' | 'failure') => void;
  /** config.toml was written (a restart may follow). */
  onWritten?: () => void;
}

/** Tries of a one-shot's restart: with the back-off floor, a command that fails at once costs about 3 s. */
export const ONE_SHOT_RESTART_ATTEMPTS = 3;

export class ContainerdConfig {
  private policy: RestartPolicy | undefined;
  private syncedHash: string | undefined;
  /** The registry.configs note of the config.toml last written, shown in status as a warning. */
  private registryConfigsWarning: string | undefined;

  constructor(private readonly options: ContainerdConfigOptions) {}

  /**
   * Makes config.toml right for `config` (identified by `hash`) and hands its bytes to the restart policy.
   * Returns undefined when this config was already synced. Throws AgentError (CMA_CONTAINERD_CONFIG...) and
   * then retries at the next call.
   */
  async update(config: AgentConfig, hash: string): Promise<UpdatedConfig | undefined> {
    if (hash === this.syncedHash) return undefined;
    const policy = this.policy ?? (await this.startPolicy(config.restartCommand));
    const plan = await updateContainerdConfig({
      path: this.options.path,
      stateDir: this.options.stateDir,
      hostsDir: config.hostsDir,
      config,
      facts: this.options.facts,
    });
    if (plan.written) {
      this.options.logger.info(
        { event: 'containerd_config_written', path: plan.path, changes: plan.changes },
        `wrote ${plan.path}: ${plan.changes.join(', ')}`,
      );
      if (plan.unchecked !== undefined)
        this.options.logger.warn(
          { event: 'containerd_config_unchecked', path: plan.path, reason: plan.unchecked },
          `${plan.path} was not checked with containerd before the edit (${plan.unchecked}): a restart may show an error of the file that containerd config dump would have named`,
        );
      this.options.onWritten?.();
      for (const { dir, hosts } of plan.dropped) {
        const held = hosts.length === 0 ? 'it holds no registry dir' : `move what it holds for ${hosts.join(', ')} into ${config.hostsDir}`;
        this.options.logger.warn(
          { event: 'containerd_config_path_dropped', dir, hosts },
          `containerd no longer reads ${dir}: config_path is ${config.hostsDir} alone now, because this containerd's CRI pulls read no directory of a list; ${held}`,
        );
      }
    }
    const note = registryConfigsNote(this.options.facts, plan.managedHosts);
    if (note !== undefined) this.options.logger.warn({ event: 'registry_configs_deprecated', hosts: plan.managedHosts }, note);
    this.registryConfigsWarning = note;
    policy.configWritten(plan.content, plan.changes.join(', ') || 'config.toml changed');
    this.syncedHash = hash;
    return plan;
  }

  /**
   * For `restore` (`nothing` manages no registry): config.toml as it was before the agent's first edit, or,
   * when that cannot be (changed since by someone else, no copy kept), the agent's credentials taken out and
   * `config_path` kept. Returns also whether that took credentials out.
   */
  async giveBack(nothing: AgentConfig): Promise<GivenBack & { credentialsRemoved: boolean }> {
    const given = await giveBackContainerdConfig({
      path: this.options.path,
      stateDir: this.options.stateDir,
      hostsDir: nothing.hostsDir,
      facts: this.options.facts,
    });
    if (given.outcome === 'kept') {
      // Only credentials come out: with no block the agent has none here, and update() would (re)set config_path.
      const plan = given.holdsBlock ? await this.update(nothing, 'restore') : undefined;
      return { ...given, credentialsRemoved: plan?.written === true };
    }
    if (given.outcome === 'removed' || given.written) {
      const what = givenBackLine(given);
      this.options.logger.info({ event: 'containerd_config_restored', path: given.path }, what);
      // Started now, from the bytes containerd ran with: a restore that finds nothing to do leaves no state.
      const policy = this.policy ?? (await this.startPolicy(nothing.restartCommand, given.before));
      policy.configWritten(given.content, what);
    }
    return { ...given, credentialsRemoved: false };
  }

  /** What works but should not stay so (registry.configs on containerd 2.x), one line each. */
  warnings(): string[] {
    return this.registryConfigsWarning === undefined ? [] : [this.registryConfigsWarning];
  }

  restartInfo(): RestartInfo {
    const state = this.policy?.state();
    return {
      restartPending: state?.restartPending ?? false,
      reason: state?.reason,
      lastError: state?.lastError,
      lastRestartAt: state?.lastRestartAt === undefined ? undefined : Date.parse(state.lastRestartAt),
    };
  }

  /**
   * For a one-shot: runs an owed restart now (ONE_SHOT_RESTART_ATTEMPTS tries at most). Throws
   * CMA_CONTAINERD_RESTART when containerd still has to be restarted: `done` says what is in place anyway.
   */
  async finish(done: string): Promise<void> {
    const policy = this.policy;
    if (policy === undefined || this.options.noRestart) return;
    await policy.finish();
    if (!policy.restartPending) return;
    const why = policy.failure ?? 'it did not run';
    throw new AgentError(
      'CMA_CONTAINERD_RESTART',
      `${done}, but containerd still has to be restarted to read this file (${policy.state().reason ?? 'config.toml changed'}): ${why}`,
      { file: this.options.path },
    );
  }

  /** Waits for a restart in flight; cancels one that is only scheduled (it stays recorded as pending). */
  async stop(): Promise<void> {
    this.policy?.stop();
    await this.policy?.settled();
  }

  /** `running`: the config.toml bytes containerd runs with, when not those on disk now. */
  private async startPolicy(command: string[], running?: string): Promise<RestartPolicy> {
    const { stateDir, logger, noRestart, oneShot, onRestart } = this.options;
    const policy = new RestartPolicy({
      command,
      noRestart,
      logger,
      // A one-shot has no later: no minimum interval, and a short back-off between its few tries.
      ...(oneShot === true ? { minIntervalMs: 0, attempts: ONE_SHOT_RESTART_ATTEMPTS } : {}),
      persist: (state) => writeRestartState(stateDir, state),
      onRestart,
    });
    policy.start(running ?? (await readContainerdConfig(this.options.path)).content ?? '', await readRestartState(stateDir));
    this.policy = policy;
    return policy;
  }
}
