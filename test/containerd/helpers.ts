// Shared by the containerd room's tests: a manual clock, a recording logger, a real restart command.
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RestartLogger as Logger } from '../../src/containerd/restart.js';

export { ManualClock } from '../helpers/manual-clock.js';

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  obj: object;
  msg: string;
}

export function recordingLogger(): Logger & { lines: LogLine[]; text(): string } {
  const lines: LogLine[] = [];
  // pino's LogFn is overloaded; the policy only ever calls (obj, msg).
  const at = (level: LogLine['level']) => ((obj: object, msg: string) => void lines.push({ level, obj, msg })) as Logger['info'];
  return { lines, info: at('info'), warn: at('warn'), error: at('error'), text: () => JSON.stringify(lines) };
}

/** A temp dir with a restart command that appends one line per call to `calls`, failing the first `failFirst`. */
export async function fakeRestartCommand(
  failFirst = 0,
): Promise<{ dir: string; argv: string[]; calls(): Promise<number>; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'cma-restart-'));
  const script = join(dir, 'restart.sh');
  const log = join(dir, 'calls');
  await writeFile(
    script,
    `#!/bin/sh\nn=$(cat "$1" 2>/dev/null | wc -l)\necho call >> "$1"\nif [ "$n" -lt ${failFirst} ]; then echo "unit containerd.service failed" >&2; exit 1; fi\n`,
  );
  await chmod(script, 0o755);
  return {
    dir,
    argv: [script, log],
    calls: async () => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean).length,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
