import { startDaemon } from '../../daemon/daemon.js';
import { createLogger } from '../../observe/logger.js';
import { detectContainerdFacts } from '../../containerd/version.js';
import { managedContainerdConfig, type CommonFlags } from '../args.js';

export async function runCommand(flags: CommonFlags): Promise<number> {
  const logger = createLogger();
  const facts = await detectContainerdFacts();
  const daemon = await startDaemon({
    sources: flags.config,
    hostsDir: flags.hostsDir,
    stateDir: flags.stateDir,
    listen: flags.listen,
    containerdConfig: managedContainerdConfig(flags),
    noRestart: flags.noRestart,
    facts,
    logger,
    env: process.env,
  });
  return daemon.done;
}
