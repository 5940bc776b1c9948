// Open file descriptors of this process, to prove probes and monitors leave no socket behind.
import { existsSync, readdirSync } from 'node:fs';

/** Why descriptors cannot be counted here, or false when they can (the `skip` option of node:test). */
export const fdCountUnavailable: string | false = existsSync('/proc/self/fd') ? false : 'needs /proc/self/fd to count descriptors';

export const fdCount = (): number => readdirSync('/proc/self/fd').length;

/** Sockets close asynchronously (the server side sees the FIN a moment later): waits until the count settles. */
export async function fdsSettleTo(baseline: number, withinMs = 5000): Promise<number> {
  const until = Date.now() + withinMs;
  let count = fdCount();
  while (count > baseline && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    count = fdCount();
  }
  return count;
}
