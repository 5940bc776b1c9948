// config.toml as the agent manages it (config_path + the credentials placed there), and the containerd
// restart it may owe. Synced when the agent config changes, never on a mirror flip: flips only touch
// hosts.toml, which containerd re-reads on every pull (invariant 6).
import type { Logger } from 'pino';
import { readContainerdConfig, updateContainerdConfig, type UpdatedConfig } from './config-file.js';
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
  /** Two restarts are at least this far apart. The one-shot `apply` uses 0: it has no later. */
  minRestartIntervalMs?: number;
  onRestart?: (result: 'success' | 'failure') => void;
  /** config.toml was written (a restart may follow). */
  onWritten?: () => void;
}

export class ContainerdConfig {
  private policy: RestartPolicy | undefined;
  private syncedHash: string | undefined;

  constructor(private readonly options: ContainerdConfigOptions) {}

  /**
   * Makes config.toml right for `config` (identified by `hash`) and hands its bytes to the restart policy.
   * Returns undefined when this config was already synced. Throws AgentError (CMA_CONTAINERD_CONFIG...) and
   * then retries at the next call.
   */
  async update(config: AgentConfig, hash: string): Promise<UpdatedConfig | undefined> {
    if (hash === this.syncedHash) return undefined;
    const policy = this.policy ?? (await this.startPolicy(config.restartCommand));
    const plan = await updateContainerdConfig({ path: this.options.path, stateDir: this.options.stateDir, hostsDir: config.hostsDir, config, facts: this.options.facts });
    if (plan.written) {
      this.options.logger.info({ event: 'containerd_config_written', path: plan.path, changes: plan.changes }, `wrote ${plan.path}: ${plan.changes.join(', ')}`);
      this.options.onWritten?.();
      for (const { dir, hosts } of plan.dropped) {
        const held = hosts.length === 0 ? 'it holds no registry dir' : `move what it holds for ${hosts.join(', ')} into ${config.hostsDir}`;
        this.options.logger.warn({ event: 'containerd_config_path_dropped', dir, hosts }, `containerd no longer reads ${dir}: config_path is ${config.hostsDir} alone now, because this containerd's CRI pulls read no directory of a list; ${held}`);
      }
    }
    const note = registryConfigsNote(this.options.facts, plan.managedHosts);
    if (note !== undefined) this.options.logger.warn({ event: 'registry_configs_deprecated', hosts: plan.managedHosts }, note);
    policy.configWritten(plan.content, plan.changes.join(', ') || 'config.toml changed');
    this.syncedHash = hash;
    return plan;
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

  /** For the one-shot `apply`: waits until an owed restart has run or failed (it is scheduled at once there). */
  async finish(): Promise<void> {
    const policy = this.policy;
    if (policy === undefined || this.options.noRestart) return;
    while (policy.restartPending && policy.state().lastError === undefined) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      await policy.settled();
    }
    policy.stop();
  }

  /** Waits for a restart in flight; cancels one that is only scheduled (it stays recorded as pending). */
  async stop(): Promise<void> {
    this.policy?.stop();
    await this.policy?.settled();
  }

  private async startPolicy(command: string[]): Promise<RestartPolicy> {
    const { stateDir, logger, noRestart, minRestartIntervalMs, onRestart } = this.options;
    const policy = new RestartPolicy({
      command,
      noRestart,
      logger,
      ...(minRestartIntervalMs === undefined ? {} : { minIntervalMs: minRestartIntervalMs }),
      persist: (state) => writeRestartState(stateDir, state),
      onRestart,
    });
    const current = await readContainerdConfig(this.options.path);
    policy.start(current.content ?? '', await readRestartState(stateDir));
    this.policy = policy;
    return policy;
  }
}
