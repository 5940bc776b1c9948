// `run`: the long-running agent, started once the state dir is claimed, with containerd's facts detected.
import { startDaemon } from '../../daemon/daemon.js';
import { whileClaimed, type StateClaim } from '../../apply/state-claim.js';
import { detectContainerdFacts } from '../../containerd/detect.js';
import { managedContainerdConfig, type CommandFlags } from '../args.js';

export async function runCommand(flags: CommandFlags): Promise<number> {
  return whileClaimed(flags.stateDir, 'containerd-mirror-agent run', (claim) => runClaimed(flags, claim));
}

async function runClaimed(flags: CommandFlags, claim: StateClaim): Promise<number> {
  const facts = await detectContainerdFacts();
  const daemon = await startDaemon({
    sources: flags.config,
    clusterSources: flags.clusterConfig,
    hostsDir: flags.hostsDir,
    stateDir: flags.stateDir,
    listen: flags.listen,
    containerdConfig: managedContainerdConfig(flags),
    containerdSocket: flags.containerdSocket,
    noRestart: flags.noRestart,
    facts,
    env: process.env,
    claim,
    exposeStatus: flags.exposeStatus,
  });
  return daemon.done;
}
