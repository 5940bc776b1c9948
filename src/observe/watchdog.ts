// Invariant 8: WATCHDOG=1 only while both loops make progress. A hung probe loop (or reconcile loop) stops the
// pings, and systemd restarts the agent after WatchdogSec. Clock injected: tests drive it by hand.
import { type Clock, realClock } from '../clock.js';

export interface WatchdogDeadlines {
  reconcileMs: number;
  probeMs: number;
}

export interface LoopProgress {
  reconcileProgressAt: number;
  probeProgressAt: number;
  deadlines: WatchdogDeadlines;
}

/** Why the agent is not healthy at `now` (epoch ms), or undefined when both loops are within their deadlines. */
export function staleReason(now: number, p: LoopProgress): string | undefined {
  const late = [
    lateness('reconcile', now - p.reconcileProgressAt, p.deadlines.reconcileMs),
    lateness('probe', now - p.probeProgressAt, p.deadlines.probeMs),
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

/** Progress of the two loops, as the daemon reports it. Both count as fresh when the gate is made. */
export class WatchdogGate {
  private reconcileAt: number;
  private probeAt: number;

  constructor(
    private deadlines: WatchdogDeadlines,
    private readonly clock: Clock = realClock,
  ) {
    this.reconcileAt = clock.now();
    this.probeAt = this.reconcileAt;
  }

  /** A new config may probe less often: the probe deadline follows its interval. */
  setDeadlines(deadlines: WatchdogDeadlines): void {
    this.deadlines = deadlines;
  }

  /** Call after each reconcile pass, whether it changed anything or not. */
  reconcileProgress(): void {
    this.reconcileAt = this.clock.now();
  }

  /** Call after each probe round, also when there is nothing to probe. */
  probeProgress(): void {
    this.probeAt = this.clock.now();
  }

  private progress(): LoopProgress {
    return { reconcileProgressAt: this.reconcileAt, probeProgressAt: this.probeAt, deadlines: this.deadlines };
  }

  shouldPing(): boolean {
    return shouldPing(this.clock.now(), this.progress());
  }

  /** For /healthz: undefined when healthy. */
  stale(): string | undefined {
    return staleReason(this.clock.now(), this.progress());
  }
}
