// `containerd-mirror-agent status`: reads /status from a running agent.

import { get } from 'node:http';
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

/** One GET over node:http: the single executable runs V8 in lite mode, without WebAssembly, which fetch()'s parser needs. */
function httpGet(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: timeoutMs, agent: false }, (res) => {
      res.setEncoding('utf8');
      let body = '';
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

export async function fetchAgentStatus(listen: string, timeoutMs = 5_000): Promise<AgentStatus> {
  const url = `http://${formatListen(statusAddress(parseListen(listen)))}/status`;
  let res: { status: number; body: string };
  try {
    res = await httpGet(url, timeoutMs);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new AgentError(
      'CMA_AGENT_UNREACHABLE',
      `no agent answers at ${url} (${why}); is \`containerd-mirror-agent run\` running with this --listen?`,
      {
        field: '--listen',
        cause: err,
      },
    );
  }
  if (res.status !== 200) {
    // Off loopback the agent serves no /status (it names node paths and errors); loopback of its port does.
    const hint = res.status === 404 ? `; /status is served on loopback only: use --listen 127.0.0.1:${parseListen(listen).port}` : '';
    throw new AgentError('CMA_AGENT_UNREACHABLE', `${url} answered HTTP ${res.status}, not an agent status${hint}`, { field: '--listen' });
  }
  return JSON.parse(res.body) as AgentStatus;
}
