// `containerd-mirror-agent status`: reads /status from a running agent.

import { AgentError } from '../errors.js';
import { formatListen, parseListen } from './listen.js';
import type { AgentStatus } from './status-format.js';

export async function fetchAgentStatus(listen: string, timeoutMs = 5_000): Promise<AgentStatus> {
  const url = `http://${formatListen(parseListen(listen))}/status`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const why = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
    throw new AgentError('CMA_AGENT_UNREACHABLE', `no agent answers at ${url} (${why}); is \`containerd-mirror-agent run\` running with this --listen?`, {
      field: '--listen',
      cause: err,
    });
  }
  if (!res.ok) {
    throw new AgentError('CMA_AGENT_UNREACHABLE', `${url} answered HTTP ${res.status}, not an agent status`, { field: '--listen' });
  }
  return (await res.json()) as AgentStatus;
}
