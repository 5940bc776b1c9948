// Runs fuzz cases in child processes with the shipped heap flags and collects what they found: batches through
// test/fuzz/child.ts (many cases per Node start), and a sample through the real CLI (`validate`, built), one
// process per case. A child that dies (heap exhausted, a crash) or falls silent is a finding naming its case.
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { build } from 'esbuild';
import { createInterface } from 'node:readline';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FuzzCase } from './cases.js';
import { judge, snapshot, writeCase, type Verdict } from './check.js';
import type { ModeName } from './modes.js';

/** The flags of bin/containerd-mirror-agent, the systemd unit and the image. */
export const HEAP_FLAGS = ['--max-semi-space-size=2', '--max-old-space-size=64'];
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHILD_SOURCE = fileURLToPath(new URL('./child.ts', import.meta.url));
/** The child bundled once per run: no tsx loader in the child, whose heap it would share with the cases. */
const CHILD_BUNDLE = join(ROOT, 'build', 'fuzz', `child-${process.pid}.mjs`);
let bundled: Promise<string> | undefined;

function childBundle(): Promise<string> {
  bundled ??= build({
    entryPoints: [CHILD_SOURCE],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: CHILD_BUNDLE,
    logLevel: 'error',
    // A bundle's `require` of node builtins (from CommonJS dependencies) needs one in ESM.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  }).then(() => {
    process.once('exit', () => rmSync(CHILD_BUNDLE, { force: true }));
    return CHILD_BUNDLE;
  });
  return bundled;
}
/**
 * Where children write their cases: memory when the machine has it. The config.toml writer syncs every file it
 * writes, and on a disk those syncs, not the work, were most of the wall time of the config.toml mode.
 */
const CASES_DIR = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
/** A child that prints nothing for this long is stuck on a case. */
const SILENCE_MS = 60_000;

export interface Finding {
  /** Omitted for the config mode (and the CLI sample): `node --import tsx test/fuzz/show.ts SEED INDEX` shows it. */
  mode?: ModeName;
  seed: number;
  index: number;
  problems: string[];
}

export interface Summary {
  ran: number;
  exits: Record<string, number>;
  /** Wall time of the slowest input, and the most CPU time one input took. */
  slowestMs: number;
  mostCpuMs: number;
  findings: Finding[];
}

export const emptySummary = (): Summary => ({ ran: 0, exits: {}, slowestMs: 0, mostCpuMs: 0, findings: [] });

export function record(summary: Summary, seed: number, index: number, verdict: Verdict, mode: ModeName = 'config'): void {
  summary.ran++;
  summary.exits[verdict.exit] = (summary.exits[verdict.exit] ?? 0) + 1;
  summary.slowestMs = Math.max(summary.slowestMs, verdict.ms);
  summary.mostCpuMs = Math.max(summary.mostCpuMs, verdict.cpuMs);
  if (verdict.problems.length > 0)
    summary.findings.push({ ...(mode === 'config' ? {} : { mode }), seed, index, problems: verdict.problems });
}

/** Cases `first`..`first+count-1` of `seed` in one child; resolves with the index after the last one handled. */
async function runChild(mode: ModeName, seed: number, first: number, count: number, maxMs: number, summary: Summary): Promise<number> {
  const bundle = await childBundle();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...HEAP_FLAGS, bundle, mode, String(seed), String(first), String(count), String(maxMs)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TMPDIR: CASES_DIR },
    });
    let current: number | undefined;
    let next = first;
    let stderr = '';
    let timer = setTimeout(() => child.kill('SIGKILL'), SILENCE_MS);
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      clearTimeout(timer);
      timer = setTimeout(() => child.kill('SIGKILL'), SILENCE_MS);
      if (line.startsWith('leak ')) summary.findings.push({ mode, seed, index: first, problems: [line] });
      const [, word, index, json] = /^(start|done) (\d+)(?: (.*))?$/s.exec(line) ?? [];
      if (word === 'start') current = Number(index);
      else if (word === 'done') {
        record(summary, seed, Number(index), JSON.parse(json ?? '{}') as Verdict, mode);
        current = undefined;
        next = Number(index) + 1;
      }
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (current !== undefined) {
        const how =
          signal === 'SIGKILL'
            ? `no answer for ${SILENCE_MS / 1000} s (hang)`
            : `child died (exit ${code}, signal ${signal}): ${stderr
                .split('\n')
                .filter((l) => /error|FATAL/i.test(l))
                .slice(0, 3)
                .join(' | ')}`;
        record(summary, seed, current, { exit: -1, ms: 0, cpuMs: 0, problems: [how] }, mode);
        next = current + 1;
      } else if (code !== 0) {
        summary.findings.push({ mode, seed, index: next, problems: [`child failed outside a case (exit ${code}): ${stderr.slice(-500)}`] });
        next = first + count;
      }
      resolve(next);
    });
  });
}

export interface BatchOptions {
  /** Default: the config mode. */
  mode?: ModeName;
  seed: number;
  first: number;
  count: number;
  batch: number;
  parallel: number;
  maxMs: number;
  /** Stop starting batches after this instant (ms since epoch). */
  until?: number;
}

/** Runs `count` cases in batches over `parallel` children at a time. */
export async function runBatches(o: BatchOptions, summary = emptySummary()): Promise<Summary> {
  let cursor = o.first;
  const end = o.first + o.count;
  const worker = async (): Promise<void> => {
    while (cursor < end && (o.until === undefined || Date.now() < o.until)) {
      const start = cursor;
      const n = Math.min(o.batch, end - start);
      cursor += n;
      let at = start;
      while (at < start + n) at = await runChild(o.mode ?? 'config', o.seed, at, start + n - at, o.maxMs, summary);
    }
  };
  await Promise.all(Array.from({ length: o.parallel }, worker));
  return summary;
}

/** One case through the built CLI under the heap flags: `validate --config`, exit, time, output, disk. */
export async function runCli(c: FuzzCase, maxMs: number): Promise<Verdict> {
  const dir = await mkdtemp(join(tmpdir(), 'cma-fuzz-cli-'));
  try {
    const config = writeCase(dir, c);
    const before = snapshot(dir);
    const started = performance.now();
    const { exit, output } = await new Promise<{ exit: number; output: string }>((resolve) => {
      const child = spawn(process.execPath, [...HEAP_FLAGS, join(ROOT, 'dist/cli/main.js'), 'validate', '--config', config], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), SILENCE_MS);
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ exit: code ?? (signal === null ? -1 : 128), output: signal === null ? output : `${output}\nkilled by ${signal}` });
      });
    });
    const ms = Math.round(performance.now() - started);
    // A child's CPU time is not at hand: the CLI is held to the hang bound on wall time only.
    return { exit, ms, cpuMs: 0, problems: judge(c, exit, output, 0, maxMs, before, snapshot(dir), ms) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
