import { startDaemon } from '../../daemon/daemon.js';
import { whileClaimed } from '../../apply/state-claim.js';
import { detectContainerdFacts } from '../../containerd/detect.js';
import { managedContainerdConfig, type CommandFlags } from '../args.js';

export async function runCommand(flags: CommandFlags): Promise<number> {
  return whileClaimed(flags.stateDir, 'containerd-mirror-agent run', () => runClaimed(flags));
}

async function runClaimed(flags: CommandFlags): Promise<number> {
  const facts = await detectContainerdFacts();
  const daemon = await startDaemon({
    sources: flags.config,
    hostsDir: flags.hostsDir,
    stateDir: flags.stateDir,
    listen: flags.listen,
    containerdConfig: managedContainerdConfig(flags),
    containerdSocket: flags.containerdSocket,
    noRestart: flags.noRestart,
    facts,
    env: process.env,
  });
  return daemon.done;
}
