// `containerd-mirror-agent status`: reads /status from a running agent.

import { isIP, isIPv6 } from 'node:net';
import { AgentError } from '../errors.js';
import { isLoopbackAddress } from './http.js';
import { formatListen, parseListen, type ListenAddress } from './listen.js';
import type { AgentStatus } from './status-format.js';

/**
 * Where `status` asks: /status is answered only on loopback, and an agent listening on an IP off loopback also
 * binds loopback on the same port (a wildcard takes loopback anyway), so the client dials loopback. This is
 * what lets `kubectl exec … status` work in the DaemonSet, whose CMA_LISTEN is the node address. A hostname is
 * dialled as it is: the agent binds no twin for one.
 */
export function statusAddress(listen: ListenAddress): ListenAddress {
  if (isIP(listen.host) === 0 || isLoopbackAddress(listen.host)) return listen;
  return { host: isIPv6(listen.host) ? '::1' : '127.0.0.1', port: listen.port };
}

export async function fetchAgentStatus(listen: string, timeoutMs = 5_000): Promise<AgentStatus> {
  const url = `http://${formatListen(statusAddress(parseListen(listen)))}/status`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const why = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
    throw new AgentError(
      'CMA_AGENT_UNREACHABLE',
      `no agent answers at ${url} (${why}); is \`containerd-mirror-agent run\` running with this --listen?`,
      {
        field: '--listen',
        cause: err,
      },
    );
  }
  if (!res.ok) {
    // Off loopback the agent serves no /status (it names node paths and errors); loopback of its port does.
    const hint = res.status === 404 ? `; /status is served on loopback only: use --listen 127.0.0.1:${parseListen(listen).port}` : '';
    throw new AgentError('CMA_AGENT_UNREACHABLE', `${url} answered HTTP ${res.status}, not an agent status${hint}`, { field: '--listen' });
  }
  return (await res.json()) as AgentStatus;
}
