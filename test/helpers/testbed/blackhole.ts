// A dead cache that drops packets instead of refusing them: an iptables DROP rule in OUTPUT for one loopback
// address and port, tagged with a unique comment, removed by the exact same rule spec (never a flush).
// Minimal stand-in until test/helpers/blackhole.ts (health room) is on main.
import { execFile, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import { onExit } from './cleanup.js';

const run = promisify(execFile);

export interface Blackhole {
  readonly comment: string;
  /** Removes the rule; idempotent. */
  lift(): Promise<void>;
}

export async function blackhole(host: string, port: number): Promise<Blackhole> {
  if (isIP(host) !== 4 || !host.startsWith('127.')) throw new Error(`refusing to blackhole ${host}: only 127.0.0.0/8 addresses may be targeted`);
  const comment = `cma-e2e-${randomUUID()}`;
  const spec = ['OUTPUT', '-d', `${host}/32`, '-p', 'tcp', '--dport', String(port), '-m', 'comment', '--comment', comment, '-j', 'DROP'];
  await run('iptables', ['-w', '-I', ...spec]);
  const guard = onExit(() => {
    spawnSync('iptables', ['-w', '-D', ...spec]);
  });
  return {
    comment,
    lift: () => {
      guard.now();
      return Promise.resolve();
    },
  };
}
