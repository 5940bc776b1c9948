import type { AgentConfig } from '../model.js';

/** `--hosts-dir` wins over the config's `hostsDir`: the operator's flag is about this node. */
export function withHostsDir(config: AgentConfig, hostsDir: string | undefined): AgentConfig {
  return hostsDir === undefined ? config : { ...config, hostsDir };
}
