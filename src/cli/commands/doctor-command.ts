// One command an operator runs on a node: is containerd set up to use what the agent writes?
import { loadConfig } from '../../config/load.js';
import { formatDoctorReport, runDoctor } from '../../containerd/doctor.js';
import { probeOnce } from '../../health/probe.js';
import { EXIT_OK, EXIT_RUNTIME, errorLines } from '../../errors.js';
import { withHostsDir } from '../../config/effective-config.js';
import { DEFAULT_HOSTS_DIR } from '../../config/native-schema.js';
import type { AgentConfig } from '../../model.js';
import type { CommandFlags } from '../args.js';

export async function doctorCommand(flags: CommandFlags): Promise<number> {
  let config: AgentConfig | undefined;
  let loadError: string | undefined;
  if (flags.config.length > 0) {
    try {
      config = withHostsDir((await loadConfig(flags.config)).config, flags.hostsDir);
    } catch (err) {
      loadError = errorLines(err).lines.join('; ');
    }
  }
  const timeoutMs = config?.probe.timeoutMs ?? 1000;
  const mirrors = new Map((config?.registries ?? []).flatMap((r) => r.mirrors.map((m) => [m.url, m] as const)));
  const result = await runDoctor({
    containerdConfig: flags.containerdConfig,
    hostsDir: config?.hostsDir ?? flags.hostsDir ?? DEFAULT_HOSTS_DIR,
    stateDir: flags.stateDir,
    config,
    loadError,
    probe: (url) => probeOnce({ url, tls: mirrors.get(url)?.tls ?? { ca: [], client: [], skipVerify: false } }, timeoutMs),
  });
  process.stdout.write(formatDoctorReport(result));
  return result.healthy ? EXIT_OK : EXIT_RUNTIME;
}
