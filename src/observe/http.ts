// /healthz, /readyz, /status and /metrics on --listen. Read-only: nothing here changes the agent.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { AgentError } from '../errors.js';
import { formatListen, parseListen } from './listen.js';
import type { AgentMetrics } from './metrics.js';
import type { AgentStatus } from './status-format.js';

/** true, or why not: the reason is the 503 body. */
export type Check = () => boolean | { ok: boolean; reason?: string };

/** What /readyz needs of a status; /status serves the whole object (the agent's, or the sync pod's). */
export interface StatusView {
  config: { lastError?: string };
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
  /** Sees every request path first (the hosts-in-effect canary listens here); unknown paths still get 404. */
  onRequest?: (path: string) => void;
}

export interface HttpServer {
  /** HOST:PORT actually bound (the real port when --listen asked for 0). */
  address: string;
  close(): Promise<void>;
}

interface Reply {
  code: number;
  type: string;
  body: string;
}

export async function startHttpServer<S extends StatusView, M extends Scraper>(options: HttpServerOptions<S, M>): Promise<HttpServer> {
  const { host, port } = parseListen(options.listen);
  const server = createServer((req, res) => {
    route(req, options).then(
      (reply) => send(res, req, reply),
      (err: unknown) => {
        options.logger.warn({ err, path: req.url }, `HTTP ${req.method ?? '?'} ${req.url ?? '?'} failed: ${String(err)}`);
        send(res, req, text(500, 'internal error, see the agent log'));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(new AgentError('CMA_LISTEN', `cannot listen on ${options.listen}: ${err.code ?? err.message}`, { field: '--listen', cause: err }));
    });
    server.listen({ host, port }, resolve);
  });
  const bound = server.address() as AddressInfo;
  const address = formatListen({ host: bound.address, port: bound.port });
  options.logger.info({ address }, `serving /healthz /readyz /status /metrics on http://${address}`);
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A scraper's keep-alive connection would otherwise hold shutdown for its idle timeout.
        server.closeAllConnections();
      }),
  };
}

async function route(req: IncomingMessage, o: HttpServerOptions<StatusView, Scraper>): Promise<Reply> {
  const path = new URL(req.url ?? '/', 'http://agent').pathname;
  o.onRequest?.(path);
  const known = ['/healthz', '/readyz', '/status', '/metrics'];
  if (!known.includes(path)) return text(404, `not found; try ${known.join(' ')}`);
  if (req.method !== 'GET' && req.method !== 'HEAD') return text(405, 'only GET and HEAD');
  switch (path) {
    case '/healthz': {
      const h = verdict(o.healthy());
      return h.ok ? text(200, 'ok') : text(503, h.reason ?? 'the reconcile or probe loop stopped making progress');
    }
    case '/readyz': {
      const r = verdict(o.ready());
      const lastError = o.status().config.lastError;
      if (!r.ok) return text(503, `not ready: ${r.reason ?? lastError ?? 'no valid config applied yet'}`);
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
