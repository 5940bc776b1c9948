// Shared by the containerd room's tests: a manual clock, a recording logger, a real restart command, a case dir
// for checks against a real `containerd config dump`.
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RestartLogger as Logger } from '../../src/containerd/restart.js';
import { detectContainerdFacts } from '../../src/containerd/detect.js';
import type { ContainerdFacts } from '../../src/model.js';
import type { ContainerdBuild } from '../helpers/testbed/index.js';

export { ManualClock } from '../helpers/manual-clock.js';

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  obj: object;
  msg: string;
}

export function recordingLogger(): Logger & { lines: LogLine[]; text(): string } {
  const lines: LogLine[] = [];
  // LogFn is overloaded (model.ts); the policy only ever calls (obj, msg).
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

/** One case of a real-`config dump` test: its own dir under `dir`, with a conf.d for drop-ins, and the build's facts. */
export async function dumpCase(
  dir: string,
  build: ContainerdBuild,
  dropInName: string,
): Promise<{ facts: ContainerdFacts; own: string; hostsDir: string; main: string; dropIn: string }> {
  const facts = await detectContainerdFacts(build.containerd);
  assert.ok(facts.version, `${build.containerd} --version`);
  const own = await mkdtemp(join(dir, 'case-'));
  await mkdir(join(own, 'conf.d'));
  return { facts, own, hostsDir: join(own, 'hosts'), main: join(own, 'config.toml'), dropIn: join(own, 'conf.d', dropInName) };
}
