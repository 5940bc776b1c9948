// /healthz, /readyz, /status and /metrics on --listen. Read-only: nothing here changes the agent.
// /status names mirror URLs, node paths and config errors: it is for this node, so it is answered only on
// connections that arrived on a loopback address. Off loopback (a DaemonSet on the node IP, where any pod can
// connect) only /metrics, /healthz and /readyz (without its error text) are served, unless `exposeStatus`.
// A --listen on one non-loopback address also gets a loopback twin on the same port, so `status` on the
// node (`kubectl exec … status` in the DaemonSet) still reaches /status at 127.0.0.1 (or ::1): the client dials it.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP, isIPv6, type AddressInfo } from 'node:net';
import type { Logger } from '../model.js';
import { AgentError } from '../errors.js';
import { describeError } from './logger.js';
import { formatListen, parseListen } from './listen.js';
import type { AgentMetrics } from './metrics.js';
import type { AgentStatus } from './status-format.js';

/** true, or why not: the reason is the 503 body. */
export type Check = () => boolean | { ok: boolean; reason?: string };

/** What /readyz needs of a status; /status serves the whole object (the agent's, or the sync pod's). */
export interface StatusView {
  config: { lastError?: string };
  /** The agent's last write of the hosts dir; its error is why /readyz fails while applies fail. */
  lastApply?: { error?: string };
}
type Scraper = Pick<AgentMetrics, 'scrape'>;

export interface HttpServerOptions<S extends StatusView = AgentStatus, M extends Scraper = AgentMetrics> {
  listen: string;
  metrics: M;
  status: () => S;
  /** The reconcile and probe loops make progress (see WatchdogGate.stale). */
  healthy: Check;
  /** A valid config is applied. */
  ready: Check;
  logger: Logger;
  /** Also serve /status and /readyz's error text to connections off loopback (`--expose-status`). */
  exposeStatus?: boolean;
  /** Sees every request path first (the hosts-in-effect canary listens here); unknown paths still get 404. */
  onRequest?: (path: string) => void;
}

export interface HttpServer {
  /** HOST:PORT actually bound (the real port when --listen asked for 0). */
  address: string;
  /** The loopback twin's HOST:PORT, when one was bound beside an address off loopback. */
  twin?: string;
  close(): Promise<void>;
}

export interface Reply {
  code: number;
  type: string;
  body: string;
}

/** 127.0.0.0/8, ::1 and their IPv4-mapped form: a connection that never left this node. */
export function isLoopbackAddress(address: string | undefined): boolean {
  const v4 = address?.replace(/^::ffff:/i, '');
  return address === '::1' || (v4 !== undefined && isIP(v4) === 4 && v4.startsWith('127.'));
}

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

export async function startHttpServer<S extends StatusView, M extends Scraper>(options: HttpServerOptions<S, M>): Promise<HttpServer> {
  const { host, port } = parseListen(options.listen);
  const main = await listenOn(options, host, port);
  const bound = main.address() as AddressInfo;
  const address = formatListen({ host: bound.address, port: bound.port });
  const servers = [main];
  let twin: string | undefined;
  // A wildcard already takes loopback connections; a loopback or hostname listen needs no twin either.
  if (isIP(host) !== 0 && !isLoopbackAddress(host) && !WILDCARDS.has(host)) {
    const address = formatListen({ host: isIPv6(host) ? '::1' : '127.0.0.1', port: bound.port });
    try {
      servers.push(await listenOn(options, parseListen(address).host, bound.port));
      twin = address;
      options.logger.info({ address }, `serving /status for this node on http://${address}`);
    } catch (err) {
      options.logger.warn({ address }, `${(err as Error).message}; \`status\` on this node cannot reach /status`);
    }
  }
  const served =
    options.exposeStatus === true || isLoopbackAddress(bound.address) ? '/healthz /readyz /status /metrics' : '/healthz /readyz /metrics';
  options.logger.info({ address }, `serving ${served} on http://${address}`);
  return {
    address,
    ...(twin === undefined ? {} : { twin }),
    close: async () => {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              // A scraper's keep-alive connection would otherwise hold shutdown for its idle timeout.
              server.closeAllConnections();
            }),
        ),
      );
    },
  };
}

async function listenOn(options: HttpServerOptions<StatusView, Scraper>, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const local = options.exposeStatus === true || isLoopbackAddress(req.socket.localAddress);
    answer(req.method, req.url, options, local).then(
      (reply) => send(res, req, reply),
      (err: unknown) => {
        options.logger.warn({ err, path: req.url }, `HTTP ${req.method ?? '?'} ${req.url ?? '?'} failed: ${describeError(err)}`);
        send(res, req, text(500, 'internal error, see the agent log'));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        new AgentError('CMA_LISTEN', `cannot listen on ${options.listen}: ${err.code ?? err.message}`, { field: '--listen', cause: err }),
      );
    });
    server.listen({ host, port }, resolve);
  });
  return server;
}

const PUBLIC_PATHS = ['/healthz', '/readyz', '/metrics'];

/** The reply to one request; `local`: it may see this node's details (/status, error text). */
export async function answer(
  method: string | undefined,
  url: string | undefined,
  o: HttpServerOptions<StatusView, Scraper>,
  local: boolean,
): Promise<Reply> {
  const path = new URL(url ?? '/', 'http://agent').pathname;
  o.onRequest?.(path);
  const known = local ? ['/healthz', '/readyz', '/status', '/metrics'] : PUBLIC_PATHS;
  if (!known.includes(path)) {
    const hint = local ? '' : ' (/status is served on loopback only: run `containerd-mirror-agent status` on the node)';
    return text(404, `not found; try ${known.join(' ')}${hint}`);
  }
  if (method !== 'GET' && method !== 'HEAD') return text(405, 'only GET and HEAD');
  switch (path) {
    case '/healthz': {
      const h = verdict(o.healthy());
      return h.ok ? text(200, 'ok') : text(503, h.reason ?? 'the reconcile or probe loop stopped making progress');
    }
    case '/readyz': {
      const r = verdict(o.ready());
      if (!local) return r.ok ? text(200, 'ok') : text(503, 'not ready');
      const { config, lastApply } = o.status();
      const lastError = config.lastError;
      const applyFailed = lastApply?.error === undefined ? undefined : `the last apply failed (retrying): ${lastApply.error}`;
      if (!r.ok) return text(503, `not ready: ${r.reason ?? applyFailed ?? lastError ?? 'no valid config applied yet'}`);
      return text(200, lastError === undefined ? 'ok' : `ok; the last good config stays applied, a newer one was rejected: ${lastError}`);
    }
    case '/status':
      return { code: 200, type: 'application/json; charset=utf-8', body: JSON.stringify(o.status(), null, 2) + '\n' };
    default: {
      const { contentType, body } = await o.metrics.scrape();
      return { code: 200, type: contentType, body };
    }
  }
}

function verdict(v: ReturnType<Check>): { ok: boolean; reason?: string } {
  return typeof v === 'boolean' ? { ok: v } : v;
}

function text(code: number, body: string): Reply {
  return { code, type: 'text/plain; charset=utf-8', body: body.replace(/\s*[\r\n]+\s*/g, ' ') + '\n' };
}

function send(res: ServerResponse, req: IncomingMessage, reply: Reply): void {
  res.writeHead(reply.code, { 'content-type': reply.type, 'content-length': Buffer.byteLength(reply.body), 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : reply.body);
}
