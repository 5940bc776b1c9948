// Which containerd the test bed runs: Debian 12's 1.6.20 from PATH, the 2.1.9 that
// test/setup/install-containerd2.sh unpacks into a private prefix, or the 2.3.4 (the first long-term-support
// line, config version 4) that test/setup/install-containerd23.sh unpacks into another. One env knob,
// CMA_CONTAINERD=1|2|2.3, so `make e2e` can run every scenario once per line without the scenarios knowing
// which one they got.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export type ContainerdMajor = 1 | 2;
/** CMA_CONTAINERD's values: Debian's 1.6, the 2.x of Debian's newer suites (2.1.9), and 2.3. */
export type ContainerdLine = '1' | '2' | '2.3';
const LINES: readonly ContainerdLine[] = ['1', '2', '2.3'];

export interface ContainerdBuild {
  readonly line: ContainerdLine;
  /** For test names: 1.6, 2.x (Debian's, 2.1.9 today) or 2.3. */
  readonly label: string;
  readonly major: ContainerdMajor;
  /** The newest config.toml version it reads: the one its `containerd config default` prints. */
  readonly configVersion: 2 | 3 | 4;
  /** The `containerd` binary to run. */
  readonly containerd: string;
  /** The `ctr` of the same build: a 1.6 ctr against a 2.x daemon works, but its errors mislead. */
  readonly ctr: string;
  /** Prepended to PATH of whatever talks to this containerd (the agent finds `containerd --version` there). */
  readonly binDir: string | undefined;
}

export const CONTAINERD2_PREFIX = process.env.CMA_CONTAINERD2_PREFIX ?? '/opt/cma-containerd2';
export const CONTAINERD23_PREFIX = process.env.CMA_CONTAINERD23_PREFIX ?? '/opt/cma-containerd23';

export function containerdBuild(line: ContainerdLine): ContainerdBuild {
  if (line === '1') return { line, label: '1.6', major: 1, configVersion: 2, containerd: 'containerd', ctr: 'ctr', binDir: undefined };
  const binDir = join(line === '2' ? CONTAINERD2_PREFIX : CONTAINERD23_PREFIX, 'bin');
  const configVersion = line === '2' ? 3 : 4;
  const label = line === '2' ? '2.x' : line;
  return { line, label, major: 2, configVersion, containerd: join(binDir, 'containerd'), ctr: join(binDir, 'ctr'), binDir };
}

/** CMA_CONTAINERD selects the bed's containerd; default 1 (the system's). */
export function selectedLine(): ContainerdLine {
  const value = process.env.CMA_CONTAINERD ?? '1';
  const line = LINES.find((l) => l === value);
  if (line === undefined) throw new Error(`CMA_CONTAINERD=${value}: expected 1 (Debian's 1.6), 2 (containerd 2.1) or 2.3 (containerd 2.3)`);
  return line;
}

export const selectedBuild = (): ContainerdBuild => containerdBuild(selectedLine());

/** Why this build cannot run here, or undefined when it is installed (the system's 1.6 counts as installed). */
export function buildMissing(build: ContainerdBuild): string | undefined {
  if (build.binDir === undefined || existsSync(build.containerd)) return undefined;
  const how = build.line === '2' ? 'make test-deps installs it as root' : 'make test-deps installs it as root from ../shared/containerd23';
  return `containerd ${build.label} is not installed in ${join(build.binDir, '..')} (${how})`;
}

/** Why containerd 2.x (2.1) cannot run here, or undefined when it is installed. */
export const containerd2Missing = (): string | undefined => buildMissing(containerdBuild('2'));

/** The environment for a process that should see this build's binaries first. */
export function envFor(build: ContainerdBuild, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return build.binDir === undefined ? env : { ...env, PATH: `${build.binDir}:${env.PATH ?? ''}` };
}
