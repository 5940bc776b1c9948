// When to restart containerd. containerd has no reload: any config.toml change it must see costs a restart,
// which interrupts pulls and CRI calls on the node. So the policy compares the exact bytes containerd reads
// with the bytes it runs with, restarts at most once per change, coalesces changes that come within the
// minimum interval, and retries a failed restart with back-off (never less than RETRY_FLOOR_MS, so a command
// that fails at once can never spin). The daemon retries forever; a one-shot (`attempts`) tries a few times
// and gives up, because it must end. Intervals run on the monotonic clock: a wall clock that jumps (a
// persisted time from a clock that ran ahead) can neither hold a restart nor bunch retries. A mirror flip only
// rewrites hosts.toml and never reaches this file; should a caller pass unchanged bytes anyway, nothing happens.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { Logger } from '../model.js';
import { type Clock, pastTime, realClock } from '../clock.js';
import { AgentError } from '../errors.js';
import type { RestartState } from './restart-state.js';

/** The logger methods the policy uses. */
export type RestartLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

/** What operators see of the policy (status, metrics, STATUS=): times as epoch milliseconds. */
export interface RestartInfo {
  restartPending: boolean;
  reason?: string;
  lastError?: string;
  lastRestartAt?: number;
}

export type CommandRunner = (argv: readonly string[]) => Promise<void>;

const RESTART_TIMEOUT_MS = 120_000;

/** The shortest wait before retrying a failed restart, whatever the minimum interval (the one-shot's is 0). */
export const RETRY_FLOOR_MS = 1_000;

/** execFile, no shell: the argv comes from the config and is never interpolated. */
export const runCommand: CommandRunner = (argv) =>
  new Promise((resolve, reject) => {
    const [file, ...args] = argv;
    if (file === undefined) return reject(new Error('restartCommand is empty'));
    execFile(file, args, { timeout: RESTART_TIMEOUT_MS, killSignal: 'SIGKILL' }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const detail = stderr.trim().split('\n').at(-1) ?? '';
      reject(new Error(`${err.message.split('\n')[0]}${detail ? `: ${detail}` : ''}`, { cause: err }));
    });
  });

export interface RestartPolicyOptions {
  /** argv, e.g. ['systemctl', 'restart', 'containerd']. */
  command: readonly string[];
  /** `--no-restart`: never run the command, only record and log that a restart is owed. */
  noRestart: boolean;
  logger: RestartLogger;
  clock?: Clock;
  /** Two restarts are at least this far apart; changes in between are coalesced into one. */
  minIntervalMs?: number;
  /** Cap of the doubling back-off after failed restarts. */
  maxBackoffMs?: number;
  /**
   * One-shot: nothing is scheduled; `finish()` runs an owed restart now and tries at most this many times.
   * Unset (the daemon): an owed restart is scheduled, and a failed one retried until it succeeds.
   */
  attempts?: number;
  run?: CommandRunner;
  /** Called after every restart attempt, e.g. to count it in metrics. Must not throw. */
  onRestart?: (result: 'success' | 'failure') => void;
  /** Called with every new state, e.g. writeRestartState bound to the state dir. Must not throw. */
  persist?: (state: RestartState) => Promise<void>;
}

function configDigest(bytes: string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export class RestartPolicy {
  private readonly opts: Required<Omit<RestartPolicyOptions, 'persist' | 'onRestart' | 'attempts'>> &
    Pick<RestartPolicyOptions, 'persist' | 'onRestart' | 'attempts'>;
  private runningDigest: string | undefined;
  private wantedDigest: string | undefined;
  private reasons: string[] = [];
  private pendingSince: number | undefined;
  private lastRestartAt: number | undefined;
  /** lastRestartAt on the monotonic clock, for the minimum interval. */
  private lastRestartMono: number | undefined;
  private lastError: string | undefined;
  /** Why the last attempt failed, without the code: the one-shot's final line says it. */
  private lastFailure: string | undefined;
  private failures = 0;
  private timer: unknown;
  private inFlight: Promise<void> | undefined;
  private saving: Promise<void> = Promise.resolve();

  constructor(options: RestartPolicyOptions) {
    this.opts = { clock: realClock, minIntervalMs: 30_000, maxBackoffMs: 300_000, run: runCommand, ...options };
  }

  /**
   * At daemon start, with the config.toml bytes on disk before the agent writes anything and the state a
   * previous run left. A restart that run still owed for these same bytes is still owed; otherwise
   * containerd is taken to run with what is on disk (it started from it, or will at its next start).
   */
  start(currentBytes: string, previous?: RestartState): void {
    const digest = configDigest(currentBytes);
    // A time from disk later than now comes from a clock that ran ahead: it counts as now, never as later.
    const clock = this.opts.clock;
    this.lastRestartAt = pastTime(previous?.lastRestartAt, clock);
    this.lastRestartMono = this.lastRestartAt === undefined ? undefined : clock.monotonic() - (clock.now() - this.lastRestartAt);
    if (previous?.restartPending && previous.wantedDigest === digest && previous.runningDigest !== digest) {
      this.runningDigest = previous.runningDigest;
      this.wantedDigest = digest;
      this.reasons = previous.reason ? [previous.reason] : ['restart owed by a previous run'];
      this.pendingSince = pastTime(previous.pendingSince, clock) ?? clock.now();
      this.onPending();
    } else {
      this.runningDigest = digest;
      this.wantedDigest = digest;
      this.save();
    }
  }

  /** After config.toml was written (or found already right): `bytes` is what containerd would now read. */
  configWritten(bytes: string, reason: string): void {
    const digest = configDigest(bytes);
    if (digest === this.wantedDigest) return;
    this.wantedDigest = digest;
    if (digest === this.runningDigest) {
      this.opts.logger.info(
        { event: 'containerd_restart_cancelled' },
        'config.toml is back to what containerd runs with; no restart needed',
      );
      this.clearPending();
      this.save();
      return;
    }
    this.reasons.push(reason);
    this.pendingSince ??= this.opts.clock.now();
    this.onPending();
  }

  get restartPending(): boolean {
    return this.wantedDigest !== this.runningDigest;
  }

  state(): RestartState {
    const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
    return {
      restartPending: this.restartPending,
      reason: this.restartPending ? this.reasons.join('; ') : undefined,
      pendingSince: this.restartPending ? iso(this.pendingSince) : undefined,
      lastRestartAt: iso(this.lastRestartAt),
      lastError: this.lastError,
      runningDigest: this.runningDigest,
      wantedDigest: this.wantedDigest,
    };
  }

  /** Why the last restart attempt failed, while no attempt has succeeded since. */
  get failure(): string | undefined {
    return this.lastFailure;
  }

  /**
   * One-shot (`attempts` set): runs an owed restart now, retrying with back-off, at most `attempts` tries in
   * all. Resolves once containerd runs with what is on disk or the tries are used up (restartPending says which).
   */
  async finish(): Promise<void> {
    for (let tries = 0; this.restartPending && !this.opts.noRestart && tries < (this.opts.attempts ?? 1); tries++) {
      if (tries > 0) await new Promise((resolve) => this.opts.clock.setTimeout(() => resolve(undefined), this.backoffMs()));
      await this.attempt();
    }
    await this.saving;
  }

  /** Resolves once no restart is running (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.inFlight) await this.inFlight;
    await this.saving;
  }

  stop(): void {
    if (this.timer !== undefined) this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private onPending(): void {
    this.save();
    const reason = this.reasons.join('; ');
    if (this.opts.noRestart) {
      this.opts.logger.warn(
        { event: 'containerd_restart_pending', reason, command: this.opts.command.join(' ') },
        `containerd must be restarted to read config.toml (${reason}); --no-restart is set, so restart it yourself`,
      );
      return;
    }
    if (this.opts.attempts === undefined) this.schedule(this.earliestRestart());
  }

  /** On the monotonic clock. */
  private earliestRestart(): number {
    const now = this.opts.clock.monotonic();
    return this.lastRestartMono === undefined ? now : Math.max(now, this.lastRestartMono + this.opts.minIntervalMs);
  }

  /** Doubles with each failure in a row, from the minimum interval (at least RETRY_FLOOR_MS), up to maxBackoffMs. */
  private backoffMs(): number {
    const base = Math.max(RETRY_FLOOR_MS, this.opts.minIntervalMs);
    return Math.min(base * 2 ** Math.max(0, this.failures - 1), this.opts.maxBackoffMs);
  }

  private willRetry(): boolean {
    return this.opts.attempts === undefined || this.failures < this.opts.attempts;
  }

  /** One timer at a time (`at` on the monotonic clock): changes arriving meanwhile ride along with it. */
  private schedule(at: number): void {
    if (this.timer !== undefined || this.inFlight) return;
    this.timer = this.opts.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.inFlight = this.restart().finally(() => (this.inFlight = undefined));
      },
      Math.max(0, at - this.opts.clock.monotonic()),
    );
  }

  /** The daemon's scheduled restart: one attempt, then the next one it owes (a retry, or a newer change). */
  private async restart(): Promise<void> {
    if (!this.restartPending) return;
    const ok = await this.attempt();
    this.inFlight = undefined;
    if (!ok) this.schedule(this.opts.clock.monotonic() + this.backoffMs());
    // config.toml changed again while containerd was restarting: one more restart, rate-limited.
    else if (this.restartPending) this.schedule(this.earliestRestart());
  }

  /** Runs the command once and records the outcome; true when it succeeded. */
  private async attempt(): Promise<boolean> {
    const target = this.wantedDigest;
    const covered = this.reasons.length;
    const reason = this.reasons.join('; ');
    const command = this.opts.command.join(' ');
    this.opts.logger.info({ event: 'containerd_restart', reason, command }, `restarting containerd: ${reason}`);
    try {
      await this.opts.run(this.opts.command);
    } catch (err) {
      this.failures++;
      this.opts.onRestart?.('failure');
      this.lastFailure = `\`${command}\` failed: ${(err as Error).message}`;
      const error = new AgentError('CMA_CONTAINERD_RESTART', this.lastFailure, { field: 'restartCommand', cause: err });
      this.lastError = error.toLine();
      const retryInMs = this.willRetry() ? this.backoffMs() : undefined;
      this.opts.logger.error({ event: 'containerd_restart_failed', code: error.code, retryInMs }, this.lastError);
      this.save();
      return false;
    }
    this.failures = 0;
    this.opts.onRestart?.('success');
    this.lastError = undefined;
    this.lastFailure = undefined;
    this.lastRestartAt = this.opts.clock.now();
    this.lastRestartMono = this.opts.clock.monotonic();
    this.runningDigest = target;
    if (this.restartPending) this.reasons = this.reasons.slice(covered);
    else this.clearPending();
    this.save();
    return true;
  }

  private clearPending(): void {
    this.reasons = [];
    this.pendingSince = undefined;
  }

  private save(): void {
    const persist = this.opts.persist;
    if (!persist) return;
    const state = this.state();
    // In order: an older state must never land after a newer one.
    this.saving = this.saving
      .then(() => persist(state))
      .catch((err: unknown) => {
        this.opts.logger.warn(
          { event: 'restart_state_write_failed', err: (err as Error).message },
          'could not record the containerd restart state',
        );
      });
  }
}
