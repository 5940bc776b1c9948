// The config as this node applies it: the operator's `--hosts-dir` over the config's `hostsDir`.
import { resolve } from 'node:path';
import type { AgentConfig } from '../model.js';

/**
 * `--hosts-dir` wins over the config's `hostsDir`: the operator's flag is about this node. Resolved once
 * here, so render and apply agree on every path (the config's own `hostsDir` must already be absolute).
 */
export function withHostsDir(config: AgentConfig, hostsDir: string | undefined): AgentConfig {
  return hostsDir === undefined ? config : { ...config, hostsDir: resolve(hostsDir) };
}
