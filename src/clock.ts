// The one clock every timed loop takes from its caller (reconciler, health monitor, sync, restart policy,
// watchdog), so tests drive time with fake timers instead of waiting for it. Two readings: wall time for what
// is shown or stored, and a monotonic one for intervals inside one process, which a clock step (NTP, a
// clock that ran ahead before a reboot) must never stretch or shrink.

export interface Clock {
  /** Milliseconds since the epoch, as Date.now(). */
  now(): number;
  /** Milliseconds from an arbitrary start that never goes backwards or jumps, as performance.now(). */
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The longest delay Node's timers take (2^31-1 ms, about 24.8 days): a longer one fires after 1 ms instead. */
export const NODE_TIMER_MAX_MS = 2 ** 31 - 1;

/** A delay Node's timers keep as asked: `validate` bounds configured durations, this bounds sums of them. */
export function timerDelay(ms: number): number {
  return Math.min(Math.max(ms, 0), NODE_TIMER_MAX_MS);
}

export const realClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, timerDelay(ms)),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** A time read from disk, as epoch ms: undefined when absent or unreadable, never later than now. */
export function pastTime(iso: string | undefined, clock: Clock): number | undefined {
  const ms = iso === undefined ? NaN : Date.parse(iso);
  return Number.isNaN(ms) ? undefined : Math.min(ms, clock.now());
}
