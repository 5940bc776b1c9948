// The one poller of the tests: wait until a check passes, or fail naming what was awaited. Deadlines are on the
// monotonic clock: a wall-clock step (seen here under load: a 15 s wait "timed out" after 8 s) must not fail a wait.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/** Polls until check() returns a value other than undefined, or fails naming what was awaited. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 15_000,
  everyMs = 50,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (performance.now() > deadline) {
      const why = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(everyMs);
  }
}

/**
 * Polls check() until map() accepts its value (returns other than undefined), and returns what map returned:
 * "read this, until it looks like that", without an inline arrow around every read.
 */
export async function until<T, R>(
  what: string,
  check: () => T | Promise<T>,
  map: (value: T) => R | undefined,
  timeoutMs?: number,
): Promise<R> {
  return waitFor(what, async () => map(await check()), timeoutMs);
}
