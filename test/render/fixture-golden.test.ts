// Config file in each dialect -> loaded model -> rendered tree: the exact files a user of that dialect gets,
// with every mirror up, on containerd 1.6.20 (upstream-only files list the upstream as a [host] table) and 2.1.
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { renderHostsTree } from '../../src/render/index.js';
import type { ContainerdFacts, MirrorState } from '../../src/model.js';
import { assertTreeMatchesDir } from './golden.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const DIALECTS = [
  ['native', 'config.yaml'],
  ['giantswarm', 'values.yaml'],
  ['k3s', 'registries.yaml'],
] as const;
const FACTS: Record<string, ContainerdFacts> = {
  'containerd-1.6': { version: { major: 1, minor: 6, patch: 20 } },
  'containerd-2.1': { version: { major: 2, minor: 1, patch: 0 } },
};

describe('fixture configs render to their golden trees', () => {
  for (const [dialect, file] of DIALECTS) {
    for (const [factsName, facts] of Object.entries(FACTS)) {
      for (const state of ['up', 'down'] as const satisfies readonly MirrorState[]) {
        it(`${dialect}, mirrors ${state}, ${factsName}`, async () => {
          const { config } = await loadConfig([join(FIXTURES, dialect, file)], { checkFileRefs: false });
          const health = new Map(config.registries.flatMap((r) => r.mirrors.map((m) => [m.url, state] as const)));
          const tree = renderHostsTree(config, health, facts);
          assertTreeMatchesDir(tree, join(FIXTURES, dialect, 'expected', `mirrors-${state}`, factsName), config.hostsDir);
        });
      }
    }
  }
});
