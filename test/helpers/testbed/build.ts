// Which containerd the test bed runs: Debian 12's 1.6.20 from PATH, or the 2.x that
// test/setup/install-containerd2.sh unpacks into a private prefix. One env knob, CMA_CONTAINERD=1|2, so
// `make e2e` can run every scenario once per version without the scenarios knowing which one they got.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export type ContainerdMajor = 1 | 2;

export interface ContainerdBuild {
  readonly major: ContainerdMajor;
  /** The `containerd` binary to run. */
  readonly containerd: string;
  /** The `ctr` of the same build: a 1.6 ctr against a 2.x daemon works, but its errors mislead. */
  readonly ctr: string;
  /** Prepended to PATH of whatever talks to this containerd (the agent finds `containerd --version` there). */
  readonly binDir: string | undefined;
}

export const CONTAINERD2_PREFIX = process.env.CMA_CONTAINERD2_PREFIX ?? '/opt/cma-containerd2';

export function containerdBuild(major: ContainerdMajor): ContainerdBuild {
  if (major === 1) return { major, containerd: 'containerd', ctr: 'ctr', binDir: undefined };
  const binDir = join(CONTAINERD2_PREFIX, 'bin');
  return { major, containerd: join(binDir, 'containerd'), ctr: join(binDir, 'ctr'), binDir };
}

/** CMA_CONTAINERD selects the bed's containerd; default 1 (the system's). */
export function selectedMajor(): ContainerdMajor {
  const value = process.env.CMA_CONTAINERD ?? '1';
  if (value !== '1' && value !== '2') throw new Error(`CMA_CONTAINERD=${value}: expected 1 (Debian's 1.6) or 2 (containerd 2.x)`);
  return Number(value) as ContainerdMajor;
}

export const selectedBuild = (): ContainerdBuild => containerdBuild(selectedMajor());

/** Why containerd 2.x cannot run here, or undefined when it is installed. */
export function containerd2Missing(): string | undefined {
  return existsSync(containerdBuild(2).containerd)
    ? undefined
    : `containerd 2.x is not installed in ${CONTAINERD2_PREFIX} (make test-deps installs it as root)`;
}

/** The environment for a process that should see this build's binaries first. */
export function envFor(build: ContainerdBuild, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return build.binDir === undefined ? env : { ...env, PATH: `${build.binDir}:${env.PATH ?? ''}` };
}
