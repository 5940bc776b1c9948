// One `run` under test, laid out as the daemon suites need it: a temp root holding certs.d/, the state dir and
// the config (a plain file, or a kubelet volume), the agent started on it, and all of it stopped and removed
// when the test ends (the agent first). It replaces the same preamble at the top of each daemon test, so a test
// body starts at what it checks. agentDirs alone serves the tests that start the process themselves.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { startAgentProcess, type AgentProcess } from './agent-process.js';
import { createKubeletVolume, type KubeletVolume } from './kubelet-volume.js';
import { onTestEnd, tempDir } from './temp-dir.js';

export interface AgentDirs {
  readonly root: string;
  /** root/certs.d: where the config says the files go. */
  readonly hostsDir: string;
  /** The --config path: root/config.yaml, or the volume's mount point. */
  readonly source: string;
  /** The kubelet volume holding config.yaml, when asked for one. */
  readonly volume: KubeletVolume | undefined;
  /** --config and --state-dir, to start `run` (again) on these dirs. */
  readonly args: string[];
}

export interface AgentFixture extends AgentDirs {
  readonly agent: AgentProcess;
}

export interface AgentFixtureOptions {
  /** Serve the config as a kubelet volume (key config.yaml) instead of a plain file. */
  volume?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** Lays out root, hostsDir and the config `config(hostsDir)`, removed when `t` ends. */
export async function agentDirs(
  t: TestContext,
  config: (hostsDir: string) => string,
  options: AgentFixtureOptions = {},
): Promise<AgentDirs> {
  const root = await tempDir(t, 'agent');
  const hostsDir = join(root, 'certs.d');
  let source = join(root, 'config.yaml');
  let volume: KubeletVolume | undefined;
  if (options.volume === true) {
    volume = await createKubeletVolume(join(root, 'volume'), { 'config.yaml': config(hostsDir) });
    source = volume.dir;
  } else {
    await writeFile(source, config(hostsDir));
  }
  return { root, hostsDir, source, volume, args: ['--config', source, '--state-dir', join(root, 'state')] };
}

/** agentDirs, and the agent started on them (resolves once it logged `started`), killed when `t` ends. */
export async function startAgentFixture(
  t: TestContext,
  config: (hostsDir: string) => string,
  options: AgentFixtureOptions = {},
): Promise<AgentFixture> {
  const dirs = await agentDirs(t, config, options);
  const agent = await startAgentProcess(dirs.args, options.env);
  onTestEnd(t, () => agent.stop('SIGKILL'));
  return { ...dirs, agent };
}
