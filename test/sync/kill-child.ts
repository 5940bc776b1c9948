// Syncs HOSTDIR from SOURCE_B, then SOURCE_A, then B... until it is SIGKILLed. argv: hostDir sourceA sourceB.
import { Syncer } from '../../src/sync/syncer.js';

const [to, a, b] = process.argv.slice(2);
if (to === undefined || a === undefined || b === undefined) throw new Error('usage: kill-child HOSTDIR SOURCE_A SOURCE_B');
const syncers = [new Syncer({ from: [b], to }), new Syncer({ from: [a], to })];
process.stdout.write('ready\n');
for (let i = 0; ; i++) await syncers[i % 2]!.sync();
