import { startDaemon } from '../../daemon/daemon.js';
import { whileClaimed } from '../../daemon/state-claim.js';
import { detectContainerdFacts } from '../../containerd/version.js';
import { managedContainerdConfig, type CommonFlags } from '../args.js';

export async function runCommand(flags: CommonFlags): Promise<number> {
  return whileClaimed(flags.stateDir, 'containerd-mirror-agent run', () => runClaimed(flags));
}

async function runClaimed(flags: CommonFlags): Promise<number> {
  const facts = await detectContainerdFacts();
  const daemon = await startDaemon({
    sources: flags.config,
    hostsDir: flags.hostsDir,
    stateDir: flags.stateDir,
    listen: flags.listen,
    containerdConfig: managedContainerdConfig(flags),
    noRestart: flags.noRestart,
    facts,
    env: process.env,
  });
  return daemon.done;
}
