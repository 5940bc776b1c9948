// The table of issue 5 as markdown, with what it was measured on.
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';

export interface Row {
  section: string;
  what: string;
  value: string;
  /** Samples, target, bounds: what a reader needs to trust the figure. */
  note: string;
}

function version(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8' }).trim().split('\n')[0] ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

export function machine(): string[] {
  const cpu = cpus();
  return [
    `- machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Linux ${release()}`,
    `- containerd: ${version('containerd', ['--version'])}`,
    `- distribution: ${version('docker-registry', ['--version'])}`,
    `- Node: ${process.version}`,
    // Figures from a shared machine are only comparable within one run: say how busy it was.
    `- load average at the end (1/5/15 min): ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ')}`,
    `- date: ${new Date().toISOString()}`,
  ];
}

export function markdown(rows: readonly Row[]): string {
  const lines = ['| section | measurement | value | notes |', '| --- | --- | --- | --- |'];
  for (const r of rows) lines.push(`| ${r.section} | ${r.what} | ${r.value} | ${r.note} |`);
  return lines.join('\n');
}

export const ms = (v: number): string =>
  Number.isFinite(v) ? (v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${v.toFixed(v < 10 ? 2 : 0)} ms`) : 'n/a';
export const ratio = (v: number, base: number): string => (Number.isFinite(v / base) ? `${(v / base).toFixed(2)}×` : 'n/a');
