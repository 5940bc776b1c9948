// hosts.toml files written by the real renderer, without the agent: baselines and acceptance checks use
// exactly the bytes the agent would write.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ContainerdFacts, HealthView, Registry } from '../../../src/model.js';
import { renderHostsTree } from '../../../src/render/index.js';
import { agentConfig } from '../../render/fixtures.js';

export function writeRendered(hostsDir: string, registries: Registry[], health: HealthView, facts: ContainerdFacts): void {
  for (const [path, file] of renderHostsTree({ ...agentConfig(registries), hostsDir }, health, facts)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.content, { mode: file.mode });
  }
}
