// Makes the one-time backup of config.toml until it is SIGKILLed. argv: configPath stateDir.
import { backupOnce } from '../../src/containerd/config-file.js';

const [configPath, stateDir] = process.argv.slice(2);
if (configPath === undefined || stateDir === undefined) throw new Error('usage: backup-kill-child CONFIG STATE_DIR');
process.stdout.write('ready\n');
await backupOnce(configPath, stateDir);
// Done before the kill: say so, and wait for it.
process.stdout.write('done\n');
setInterval(() => undefined, 1000);
