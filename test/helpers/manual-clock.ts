// A clock driven by hand: timers fire only when a test advances time, and the wall clock can be stepped on
// its own (NTP, an operator) while the monotonic clock and the timers go on undisturbed.
import type { Clock } from '../../src/clock.js';

export class ManualClock implements Clock {
  private t = 0;
  /** Wall time at monotonic 0; `stepWall` moves it, as NTP or an operator would. */
  private wallAt0 = Date.parse('2025-01-01T00:00:00Z');
  private nextId = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.wallAt0 + this.t;
  }

  monotonic(): number {
    return this.t;
  }

  /** Steps the wall clock only; timers and monotonic time are unaffected. */
  stepWall(ms: number): void {
    this.wallAt0 += ms;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Moves time forward, firing every timer that comes due, in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = [...this.timers].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = due[1].at;
      due[1].fn();
    }
    this.t = end;
  }
}
