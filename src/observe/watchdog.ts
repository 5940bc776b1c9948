// Invariant 8: WATCHDOG=1 only while the loops make progress. A hung probe loop (or reconcile loop) stops the
// pings, and systemd restarts the agent after WatchdogSec. The reload loop is idle until a source changes, so
// it counts by the age of the reload in flight: one stuck on a file (a FIFO, a hung mount) stops the pings
// too, instead of leaving an agent that never loads a config again. Ages on the monotonic clock: a wall-clock
// step forward must not look like a stalled loop (and restart the agent). Clock injected: tests drive it by hand.
import { type Clock, realClock } from '../clock.js';

export interface WatchdogDeadlines {
  reconcileMs: number;
  probeMs: number;
  /** Longest a single reload may take; undefined: reloads are not watched. */
  reloadMs?: number;
}

export interface LoopProgress {
  reconcileProgressAt: number;
  probeProgressAt: number;
  /** When the reload in flight started; undefined while none runs. */
  reloadStartedAt?: number | undefined;
  deadlines: WatchdogDeadlines;
}

/** Why the agent is not healthy at `now` (monotonic ms), or undefined when both loops are within their deadlines. */
export function staleReason(now: number, p: LoopProgress): string | undefined {
  const late = [
    lateness('reconcile', now - p.reconcileProgressAt, p.deadlines.reconcileMs),
    lateness('probe', now - p.probeProgressAt, p.deadlines.probeMs),
    p.reloadStartedAt === undefined || p.deadlines.reloadMs === undefined
      ? undefined
      : lateness('reload', now - p.reloadStartedAt, p.deadlines.reloadMs),
  ].filter((r): r is string => r !== undefined);
  return late.length === 0 ? undefined : late.join('; ');
}

export function shouldPing(now: number, p: LoopProgress): boolean {
  return staleReason(now, p) === undefined;
}

function lateness(loop: string, sinceMs: number, deadlineMs: number): string | undefined {
  if (sinceMs <= deadlineMs) return undefined;
  return `${loop} loop made no progress for ${Math.round(sinceMs / 1000)}s (deadline ${Math.round(deadlineMs / 1000)}s)`;
}

/** Progress of the loops, as the daemon reports it. Both count as fresh when the gate is made. */
export class WatchdogGate {
  private reconcileAt: number;
  private probeAt: number;
  private reloadAt: number | undefined;

  constructor(
    private deadlines: WatchdogDeadlines,
    private readonly clock: Clock = realClock,
  ) {
    this.reconcileAt = clock.monotonic();
    this.probeAt = this.reconcileAt;
  }

  /** A new config may probe less often: the probe deadline follows its interval. */
  setDeadlines(deadlines: WatchdogDeadlines): void {
    this.deadlines = deadlines;
  }

  /** Call after each reconcile pass, whether it changed anything or not. */
  reconcileProgress(): void {
    this.reconcileAt = this.clock.monotonic();
  }

  /** Call after each probe round, also when there is nothing to probe. */
  probeProgress(): void {
    this.probeAt = this.clock.monotonic();
  }

  /** Call when a reload starts reading the sources. */
  reloadStarted(): void {
    this.reloadAt = this.clock.monotonic();
  }

  /** Call when that reload has ended, whatever its outcome. */
  reloadEnded(): void {
    this.reloadAt = undefined;
  }

  private progress(): LoopProgress {
    return {
      reconcileProgressAt: this.reconcileAt,
      probeProgressAt: this.probeAt,
      reloadStartedAt: this.reloadAt,
      deadlines: this.deadlines,
    };
  }

  shouldPing(): boolean {
    return shouldPing(this.clock.monotonic(), this.progress());
  }

  /** For /healthz: undefined when healthy. */
  stale(): string | undefined {
    return staleReason(this.clock.monotonic(), this.progress());
  }
}
