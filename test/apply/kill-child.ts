// Applies the two kill-test trees in a loop until it is SIGKILLed. argv: hostsDir stateDir.
import { applyTree } from '../../src/apply/apply.js';
import { killTrees } from './kill-trees.js';

const [hostsDir, stateDir] = process.argv.slice(2);
if (hostsDir === undefined || stateDir === undefined) throw new Error('usage: kill-child HOSTS_DIR STATE_DIR');
const trees = killTrees(hostsDir);
process.stdout.write('ready\n');
// Starts with B: the parent leaves the disk at A after each kill.
for (let i = 1; ; i++) await applyTree(trees[i % 2] ?? trees[0], { hostsDir, stateDir });
