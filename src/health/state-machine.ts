// The per-mirror failover state machine. Pure: the caller passes the probe result and the time, so every
// rule here is tested with a table and fake time.
//
// Rules:
// - A mirror starts `unknown` and is not written until it is proven `up` (boot-safe).
// - unknown/down → up after `successThreshold` consecutive successes; unknown/up → down after
//   `failureThreshold` consecutive failures. Never on fewer.
// - Flap damping (the dwell rule): every transition to `down` is remembered for FLAP_WINDOW_INTERVALS probe
//   intervals. With k of them in the window, returning to `up` needs successThreshold × 2^(k-1) consecutive
//   successes (k capped at MAX_DAMPING_DOUBLINGS + 1). A mirror that keeps failing therefore spends longer
//   and longer on the safe side (down = upstream-only) and cannot flip more than a few times per window;
//   once its failures age out of the window, the normal threshold applies again.
import type { MirrorState, ProbeSettings } from '../model.js';
import type { ProbeResult } from './probe.js';

export interface MirrorHealth {
  state: MirrorState;
  consecutiveOk: number;
  consecutiveFail: number;
  /** When the current state was entered (epoch ms). */
  since: number;
  lastResult?: ProbeResult;
  /** Times of the transitions to `down` still inside the flap window, oldest first. */
  transitions: number[];
}

/** The flap window, in probe intervals (with a 2 s interval: 2 minutes). */
export const FLAP_WINDOW_INTERVALS = 60;
/** The hold-down multiplier stops doubling after this many doublings (×8). */
const MAX_DAMPING_DOUBLINGS = 3;

export function initialHealth(now: number): MirrorHealth {
  return { state: 'unknown', consecutiveOk: 0, consecutiveFail: 0, since: now, transitions: [] };
}

/** Consecutive successes a mirror needs to be `up` again, given its recent transitions to `down`. */
export function successesRequired(downsInWindow: number, settings: ProbeSettings): number {
  const doublings = Math.min(Math.max(downsInWindow - 1, 0), MAX_DAMPING_DOUBLINGS);
  return settings.successThreshold * 2 ** doublings;
}

export function nextHealth(prev: MirrorHealth, result: ProbeResult, settings: ProbeSettings, now: number): MirrorHealth {
  const windowStart = now - FLAP_WINDOW_INTERVALS * settings.intervalMs;
  const transitions = prev.transitions.filter((t) => t > windowStart);
  const consecutiveOk = result.ok ? prev.consecutiveOk + 1 : 0;
  const consecutiveFail = result.ok ? 0 : prev.consecutiveFail + 1;

  let state = prev.state;
  if (state !== 'up' && consecutiveOk >= successesRequired(transitions.length, settings)) state = 'up';
  else if (state !== 'down' && consecutiveFail >= settings.failureThreshold) state = 'down';

  if (state === prev.state) return { ...prev, consecutiveOk, consecutiveFail, lastResult: result, transitions };
  if (state === 'down') transitions.push(now);
  return { state, consecutiveOk, consecutiveFail, since: now, lastResult: result, transitions };
}
