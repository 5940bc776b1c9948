// Shared by the containerd room's tests: a manual clock, a recording logger, a real restart command, a case dir
// for checks against a real `containerd config dump`.
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../src/clock.js';
import type { RestartLogger as Logger } from '../../src/containerd/restart.js';
import { detectContainerdFacts } from '../../src/containerd/detect.js';
import type { ContainerdFacts } from '../../src/model.js';
import type { ContainerdBuild } from '../helpers/testbed/index.js';

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
