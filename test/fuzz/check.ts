// One fuzz case through validate's code path (loadConfig, file references checked, as `validate` runs it) and
// the properties of issue 10: exit only 0 or 2 (no internal error), no planted secret in the output, the disk
// unchanged, and the time it took. Shared by the in-process layer, the batch child and the CLI sample.
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { errorLines } from '../../src/errors.js';
import { caseAt, type FuzzCase } from './cases.js';

/** One kind of input `make fuzz` runs (modes.ts): case `index` of `seed`, written under `dir`, run and judged here. */
export interface FuzzMode {
  run(dir: string, seed: number, index: number, maxMs: number, fifo: string): Promise<Verdict>;
}

export interface Verdict {
  exit: number;
  /** Wall time; on a loaded machine far more than the work. */
  ms: number;
  /** CPU time of this process (user + system) spent on the input: the load-independent measure. */
  cpuMs: number;
  /** Empty when every property held. */
  problems: string[];
}

/** A FIFO for many cases: each links to it instead of paying a mkfifo process. */
export function makeFifo(path: string): string {
  execFileSync('mkfifo', [path]);
  return path;
}

/** Writes the case under `dir`; returns the --config path. Synchronous: a hundred thousand cases pay no thread-pool round trips. */
export function writeCase(dir: string, c: FuzzCase, sharedFifo?: string): string {
  const config = join(dir, 'config');
  const target = c.layout === 'volume' ? join(config, '..gen1') : config;
  mkdirSync(target, { recursive: true });
  const configNames: string[] = [];
  for (const f of c.files) {
    const bytes = typeof f.content === 'string' ? f.content.replaceAll('@DIR@', dir) : f.content;
    const isConfig = /^\d+-c\./.test(f.name);
    const path = isConfig ? join(target, f.name) : join(dir, f.name);
    if (isConfig) configNames.push(f.name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
  }
  if (c.layout === 'volume') {
    symlinkSync('..gen1', join(config, '..data_tmp'));
    renameSync(join(config, '..data_tmp'), join(config, '..data'));
    for (const name of configNames) symlinkSync(join('..data', name), join(config, name));
  }
  if (c.fifo && sharedFifo !== undefined) symlinkSync(sharedFifo, join(dir, 'fifo'));
  else if (c.fifo) makeFifo(join(dir, 'fifo'));
  return c.layout === 'file' ? join(config, configNames[0] ?? 'none.yaml') : config;
}

/**
 * Every entry under `dir` with its type, mode, size, inode and change time: what "disk unchanged" compares. The
 * change time moves with every write, chmod, rename or link, and no caller can set it back, so contents need
 * not be hashed (that was a third of a case's CPU).
 */
export function snapshot(dir: string): string {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      const info = lstatSync(path, { bigint: true });
      out.push(`${path} ${info.mode} ${info.size} ${info.ino} ${info.ctimeNs} ${info.mtimeNs}`);
      if (info.isDirectory()) walk(path);
    }
  };
  walk(dir);
  return out.join('\n');
}

/** The lines `validate` prints for this outcome, and its exit status. */
async function validateOutput(config: string): Promise<{ exit: number; text: string }> {
  try {
    const loaded = await loadConfig([config]);
    const names = loaded.config.registries.map((r) => r.name).join(', ');
    return { exit: 0, text: `OK: ${loaded.files.length} file(s), ${loaded.config.registries.length} registries (${names})` };
  } catch (err) {
    const { lines, exitCode } = errorLines(err);
    return { exit: exitCode, text: lines.join('\n') };
  }
}

/** `ms` is held to `maxMs`, wall time to a hang bound well above it (the machine may be shared). */
export function judge(
  c: FuzzCase,
  exit: number,
  output: string,
  ms: number,
  maxMs: number,
  before: string,
  after: string,
  wallMs = ms,
): string[] {
  const problems: string[] = [];
  if (exit !== 0 && exit !== 2) problems.push(`exit ${exit}: ${output.slice(0, 300)}`);
  if (/internal error/.test(output)) problems.push(`internal error: ${output.slice(0, 300)}`);
  for (const s of c.secrets) {
    const at = output.indexOf(s);
    if (at !== -1) problems.push(`secret in output: …${output.slice(Math.max(0, at - 250), at + 50)}`);
  }
  if (ms > maxMs) problems.push(`took ${ms} ms of CPU`);
  if (wallMs > Math.max(10 * maxMs, 20_000)) problems.push(`took ${wallMs} ms (a hang)`);
  if (before !== after) problems.push('the disk changed');
  return problems;
}

/** Runs one case already written under `dir` in this process. */
export async function checkCase(dir: string, config: string, c: FuzzCase, maxMs: number): Promise<Verdict> {
  const before = snapshot(dir);
  const started = performance.now();
  const cpu = process.cpuUsage();
  const { exit, text } = await validateOutput(config);
  const used = process.cpuUsage(cpu);
  const cpuMs = Math.round((used.user + used.system) / 1000);
  const ms = Math.round(performance.now() - started);
  return { exit, ms, cpuMs, problems: judge(c, exit, text, cpuMs, maxMs, before, snapshot(dir), ms) };
}

/** The config mode of `make fuzz`: case `index` of `seed` written under `dir` and run through validate's path. */
export const configMode: FuzzMode = {
  async run(dir, seed, index, maxMs, fifo) {
    const c = caseAt(seed, index);
    return checkCase(dir, writeCase(dir, c, fifo), c, maxMs);
  },
};
