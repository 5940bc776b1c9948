// One command an operator runs on a node: is containerd set up to use what the agent writes?
import { loadConfig } from '../../config/load.js';
import { formatDoctorReport, runDoctor, type RunningAgent } from '../../doctor/doctor.js';
import { probeOnce } from '../../health/probe.js';
import { EXIT_OK, EXIT_RUNTIME, errorLines } from '../../errors.js';
import { withHostsDir } from '../../config/effective-config.js';
import { DEFAULT_HOSTS_DIR } from '../../config/native-schema.js';
import type { AgentConfig } from '../../model.js';
import { managedContainerdConfig, type CommandFlags } from '../args.js';
import { fetchAgentStatus } from '../../observe/status-client.js';

/** The innermost reason (a refused connect, a timeout): doctor has no --listen flag to blame. */
function rootCause(err: unknown): string {
  let e = err;
  for (let depth = 0; e instanceof Error && e.cause instanceof Error && depth < 5; depth++) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

export async function doctorCommand(flags: CommandFlags): Promise<number> {
  let config: AgentConfig | undefined;
  let loadError: string | undefined;
  if (flags.config.length + flags.clusterConfig.length > 0) {
    try {
      config = withHostsDir((await loadConfig(flags.config, { clusterSources: flags.clusterConfig })).config, flags.hostsDir);
    } catch (err) {
      loadError = errorLines(err).lines.join('; ');
    }
  }
  const timeoutMs = config?.probe.timeoutMs ?? 1000;
  const mirrors = new Map((config?.registries ?? []).flatMap((r) => r.mirrors.map((m) => [m.url, m] as const)));
  // The running agent (at CMA_LISTEN or the default) holds the canary's verdict; doctor works without one.
  const agent = await fetchAgentStatus(flags.listen, 2_000).then(
    (status): RunningAgent => ({
      ...status.containerd,
      ready: status.ready,
      notReadyReason: status.lastApply?.error ?? status.config.lastError,
    }),
    (err: unknown) => ({ unreachable: `no agent answers at ${flags.listen}, the address CMA_LISTEN sets: ${rootCause(err)}` }),
  );
  const result = await runDoctor({
    agent,
    containerdConfig: managedContainerdConfig(flags),
    hostsDir: config?.hostsDir ?? flags.hostsDir ?? DEFAULT_HOSTS_DIR,
    stateDir: flags.stateDir,
    config,
    loadError,
    probe: (url) => probeOnce({ url, tls: mirrors.get(url)?.tls ?? { ca: [], client: [], skipVerify: false } }, timeoutMs),
  });
  process.stdout.write(formatDoctorReport(result));
  return result.healthy ? EXIT_OK : EXIT_RUNTIME;
}
