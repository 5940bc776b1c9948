// Whether containerd really reads the hosts dir, kept current: the canary (containerd/canary.ts) runs at
// start, after each config.toml change and restart, and every few minutes; checks never overlap (one failed
// pull in containerd's log per check at most). The result goes to /status, metrics and the STATUS line, and
// one warning is logged when it turns false, naming the likely cause (containerd/hosts-cause.ts).
import type { Logger } from '../model.js';
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Canary, canaryHostsToml, canaryRegistry } from '../cri/canary.js';
import { likelyCause, shadowingDirs } from '../cri/hosts-cause.js';
import { formatContainerdVersion } from '../containerd/detect.js';
import { CoalescingRunner } from '../coalescing-runner.js';
import type { AgentConfig, ContainerdFacts, RenderedTree } from '../model.js';
import { realClock } from '../clock.js';

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

/** How often the canary runs when nothing else asks for it. */
const HOSTS_CHECK_INTERVAL_MS = 5 * 60_000;

export interface HostsCheckView {
  version: string | null;
  hostsInEffect: boolean | null;
  checkedAt?: number;
  reason?: string;
}

export interface HostsCheckOptions {
  socket: string;
  containerdConfig: string | undefined;
  facts: ContainerdFacts;
  logger: Logger;
  restartPending: () => boolean;
  changed: () => void;
}

export class HostsCheck {
  private canary: Canary | undefined;
  private unavailable = 'not checked yet';
  private view: HostsCheckView;
  private config: AgentConfig | undefined;
  private readonly runner = new CoalescingRunner(() => this.run());
  private timer: NodeJS.Timeout | undefined;
  /** Aborted by stop(): a check in progress ends at once, whatever the CRI socket does. */
  private readonly stopping = new AbortController();

  constructor(private readonly options: HostsCheckOptions) {
    this.view = { version: options.facts.version ? formatContainerdVersion(options.facts.version) : null, hostsInEffect: null };
  }

  /** Once the listener is bound: the canary needs a loopback way to it (the loopback twin of a node address). */
  listening(bound: string): void {
    const registry = canaryRegistry(bound);
    if (registry === undefined)
      this.unavailable = `the status listener ${bound} has no IPv4 loopback address (127.0.0.0/8), which the canary needs`;
    else this.canary = new Canary(this.options.socket, registry);
  }

  /** For the listener: every request path. */
  onRequest(path: string): void {
    this.canary?.onRequest(path);
  }

  /** The canary's hosts.toml, for the reconciler to write with the registries' files. */
  files(config: AgentConfig): RenderedTree {
    this.config = config;
    const canary = this.usable(config);
    if (canary === undefined) return new Map();
    return new Map([[join(config.hostsDir, canary.registry, 'hosts.toml'), { content: canaryHostsToml(canary.registry), mode: 0o644 }]]);
  }

  snapshot(): HostsCheckView {
    return this.view;
  }

  /** Runs a check soon; a request during a check runs one more after it. */
  request(): Promise<void> {
    return this.runner.run();
  }

  start(): void {
    this.timer = setInterval(() => void this.request(), HOSTS_CHECK_INTERVAL_MS);
    this.timer.unref();
    void this.request();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.stopping.abort();
    await this.runner.idle();
  }

  private usable(config: AgentConfig): Canary | undefined {
    const canary = this.canary;
    if (canary === undefined) return undefined;
    // No CRI to ask (containerd not started yet, or none on this node): no canary file either.
    if (!existsSync(this.options.socket)) {
      this.unavailable = `no containerd socket at ${this.options.socket} (--containerd-socket)`;
      return undefined;
    }
    if (config.registries.some((r) => r.name === canary.registry)) {
      this.unavailable = `the agent config names the canary's registry ${canary.registry} itself`;
      return undefined;
    }
    return canary;
  }

  private async run(): Promise<void> {
    const config = this.config;
    if (config === undefined) return;
    try {
      await this.check(config);
    } catch (err) {
      this.view = { ...this.view, hostsInEffect: null, checkedAt: realClock.now(), reason: `the check failed: ${(err as Error).message}` };
      this.options.changed();
    }
  }

  private async check(config: AgentConfig): Promise<void> {
    const canary = this.usable(config);
    // Before the first reconcile has written the canary's file, a check could only mislead.
    if (canary !== undefined && !(await exists(join(config.hostsDir, canary.registry, 'hosts.toml')))) return;
    const at = realClock.now();
    const registries = [...config.registries.map((r) => r.name), ...(canary ? [canary.registry] : [])];
    const cause = async (): Promise<string | undefined> =>
      likelyCause({
        hostsDir: config.hostsDir,
        registries,
        containerdConfig: this.options.containerdConfig,
        restartPending: this.options.restartPending(),
        facts: this.options.facts,
      });
    let next: HostsCheckView;
    if (canary === undefined) {
      next = { ...this.view, hostsInEffect: null, checkedAt: at, reason: this.unavailable };
    } else {
      const result = await canary.check(this.stopping.signal);
      if (this.stopping.signal.aborted) return;
      // The canary proves the directory is read; a shadowing dir still hides a registry's own file.
      const shadows = result.hostsInEffect === true ? await shadowingDirs(config.hostsDir, registries) : [];
      if (result.hostsInEffect === true && shadows.length === 0)
        next = { ...this.view, hostsInEffect: true, checkedAt: at, reason: undefined };
      else if (result.hostsInEffect === null) next = { ...this.view, hostsInEffect: null, checkedAt: at, reason: result.detail };
      else
        next = {
          ...this.view,
          hostsInEffect: false,
          checkedAt: at,
          reason: `${(await cause()) ?? 'cause unknown (check `containerd config dump`)'}; ${result.detail}`,
        };
    }
    const turnedFalse = next.hostsInEffect === false && this.view.hostsInEffect !== false;
    this.view = next;
    if (turnedFalse) {
      this.options.logger.warn(
        { event: 'hosts_not_in_effect', reason: next.reason },
        `containerd does not use the hosts.toml files in ${config.hostsDir}: ${next.reason ?? ''}`,
      );
    } else if (next.hostsInEffect === true) {
      this.options.logger.debug(
        { event: 'hosts_in_effect' },
        `containerd reads ${config.hostsDir} (canary pull through ${canary?.registry ?? ''})`,
      );
    }
    this.options.changed();
  }
}
