// The --listen address, shared by `run` (server) and `status` (client).

import { isIPv6 } from 'node:net';
import { AgentError } from '../errors.js';

/**
 * Outside 9100-9999, the Prometheus exporter range, which is fully allocated; clear of the Kubernetes node ports
 * (10248-10260, 30000-32767), the Linux ephemeral range and /etc/services. Loopback: /status is for this node.
 */
export const DEFAULT_LISTEN = '127.0.0.1:10147';

export interface ListenAddress {
  host: string;
  port: number;
}

/** `HOST:PORT` or `[IPV6]:PORT`; port 0 lets the OS choose. */
export function parseListen(text: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (host === undefined || !(port <= 65535) || (m?.[1] !== undefined && !isIPv6(host))) {
    throw new AgentError('CMA_USAGE', `"${text}" is not HOST:PORT or [IPV6]:PORT (e.g. ${DEFAULT_LISTEN})`, { field: '--listen' });
  }
  return { host, port };
}

export function formatListen({ host, port }: ListenAddress): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}
