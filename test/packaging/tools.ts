// Running the real packaging tools (systemd-analyze, cloud-init, dpkg, rpm, kubectl, python3) from tests.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../..');

export function repoPath(...parts: string[]): string {
  return join(REPO, ...parts);
}

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Ran {
  const r = spawnSync(command, args, { encoding: 'utf8', env: options.env ?? process.env, input: options.input, timeout: 50_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A reason to skip when `command` is not on PATH; undefined when it is. */
export function missing(command: string, why: string): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', command]).status === 0;
  return found ? undefined : `${command} not installed (${why}; \`make package-deps\` installs it as root)`;
}
