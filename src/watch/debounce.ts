// consul-template style debounce: a burst of events fires once, after `floorMs` of quiet, but a continuous
// storm still fires `ceilingMs` after its first event, so a reload is never starved by a chatty filesystem.
import { type Clock, realClock } from '../clock.js';

export interface DebounceOptions {
  floorMs: number;
  ceilingMs: number;
}

export interface Debouncer {
  trigger(): void;
  /** Fires now if an event is pending (e.g. SIGHUP: no reason to wait). */
  flush(): void;
  /** Drops a pending event without firing (shutdown). */
  cancel(): void;
  pending(): boolean;
}

export function createDebouncer(options: DebounceOptions, fire: () => void, clock: Clock = realClock): Debouncer {
  const { floorMs, ceilingMs } = options;
  if (!(floorMs >= 0) || !(ceilingMs >= floorMs)) {
    throw new RangeError(`debounce: need 0 <= floorMs <= ceilingMs, got floorMs=${floorMs} ceilingMs=${ceilingMs}`);
  }
  let timer: unknown;
  let firstAt = 0;

  const cancel = (): void => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
  };
  const fireNow = (): void => {
    // Cleared before calling out, so a trigger() from inside fire() starts a fresh window.
    cancel();
    fire();
  };

  return {
    trigger(): void {
      const now = clock.now();
      if (timer === undefined) firstAt = now;
      else clock.clearTimeout(timer);
      const untilCeiling = Math.max(0, firstAt + ceilingMs - now);
      timer = clock.setTimeout(fireNow, Math.min(floorMs, untilCeiling));
    },
    flush(): void {
      if (timer !== undefined) fireNow();
    },
    cancel,
    pending: () => timer !== undefined,
  };
}
