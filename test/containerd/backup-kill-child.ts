// Makes the one-time backup of config.toml until it is SIGKILLed. argv: configPath stateDir.
import { keepOriginalOnce } from '../../src/containerd/config-original.js';

const [configPath, stateDir] = process.argv.slice(2);
if (configPath === undefined || stateDir === undefined) throw new Error('usage: backup-kill-child CONFIG STATE_DIR');
process.stdout.write('ready\n');
await keepOriginalOnce(configPath, true, 0o644, stateDir);
// Done before the kill: say so, and wait for it.
process.stdout.write('done\n');
setInterval(() => undefined, 1000);
