// Real loopback servers for tests: each kind of mirror behaviour a probe or a daemon must classify.
// Every helper binds a loopback address only, on a port the OS picks unless told otherwise, and returns
// `{ url, close() }`; close() also ends the connections still open, so a test never leaks a socket.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, isIP, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface TestServer {
  /** scheme://host:port, no trailing slash. */
  url: string;
  close(): Promise<void>;
}

export interface ListenOptions {
  /** A loopback address; default 127.0.0.1. */
  host?: string;
  /** Default 0: the OS picks a free port. */
  port?: number;
}

const run = promisify(execFile);

export function assertLoopback(host: string): void {
  const loopback = host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
  if (!loopback) throw new Error(`test servers bind loopback addresses only, not ${host}`);
}

function hostForUrl(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** Tracks accepted sockets so close() can end them: a hung connection would keep server.close() waiting. */
function trackSockets(server: NetServer): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return sockets;
}

async function listen(server: NetServer, scheme: string, options: ListenOptions): Promise<TestServer> {
  const host = options.host ?? '127.0.0.1';
  assertLoopback(host);
  const sockets = trackSockets(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  return {
    url: `${scheme}://${hostForUrl(host)}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A handler that answers every request with `status` and a small JSON body, like a registry's `/v2/`. */
export function statusHandler(status: number): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', 'docker-distribution-api-version': 'registry/2.0' });
    res.end(status === 200 ? '{}' : `{"errors":[{"code":"HTTP_${status}"}]}`);
  };
}

/** An HTTP server answering every request with `status` (or running `handler`). */
export async function httpServer(statusOrHandler: number | Handler, options: ListenOptions = {}): Promise<TestServer> {
  const handler = typeof statusOrHandler === 'number' ? statusHandler(statusOrHandler) : statusOrHandler;
  const server: HttpServer = createHttpServer(handler);
  server.keepAliveTimeout = 1000;
  return listen(server, 'http', options);
}

/** Accepts TCP connections and never sends a byte: the mirror that defeats containerd's fallback. */
export async function hangServer(options: ListenOptions = {}): Promise<TestServer> {
  // Reading (and discarding) the request lets the server see the client's FIN and free its side.
  return listen(
    createNetServer((socket) => socket.resume()),
    'http',
    options,
  );
}

/** Accepts TCP connections and closes each one at once, before any response. */
export async function closeServer(options: ListenOptions = {}): Promise<TestServer> {
  return listen(
    createNetServer((socket) => socket.destroy()),
    'http',
    options,
  );
}

/** A loopback port that had a listener a moment ago and has none now: connecting is refused. */
export async function refusedPort(options: Omit<ListenOptions, 'port'> = {}): Promise<TestServer & { port: number }> {
  const bound = await listen(createNetServer(), 'http', options);
  await bound.close();
  return { url: bound.url, port: Number(new URL(bound.url).port), close: () => Promise.resolve() };
}

/**
 * An HTTP server that can be stopped and started again on the same port, for "the cache goes away and
 * comes back". `setStatus` changes the answer without closing the listener.
 */
export interface SwitchableServer extends TestServer {
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  setStatus(status: number): void;
}

export async function switchableServer(status: number, options: ListenOptions = {}): Promise<SwitchableServer> {
  let current = status;
  const handler: Handler = (req, res) => statusHandler(current)(req, res);
  let running: TestServer | undefined = await httpServer(handler, options);
  const url = running.url;
  const port = Number(new URL(url).port);
  const stop = async (): Promise<void> => {
    const r = running;
    running = undefined;
    await r?.close();
  };
  return {
    url,
    port,
    stop,
    close: stop,
    setStatus: (s) => {
      current = s;
    },
    start: async () => {
      running ??= await httpServer(handler, { ...options, port });
    },
  };
}

export interface TestPki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  remove(): Promise<void>;
}

/** Why the TLS helpers cannot run here, or undefined when they can. */
export async function tlsUnavailable(): Promise<string | undefined> {
  try {
    await run('openssl', ['version']);
    return undefined;
  } catch {
    return 'needs the openssl CLI to make test certificates';
  }
}

async function openssl(dir: string, args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

/** A throwaway CA, a server certificate for 127.0.0.1/::1/localhost and a client certificate, made by openssl. */
export async function makePki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'cma-pki-'));
  const days = ['-days', '2'];
  try {
    await openssl(dir, [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      ...days,
      '-subj',
      '/CN=cma test CA',
    ]);
    await writeFile(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    await writeFile(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
    for (const name of ['server', 'client']) {
      await openssl(dir, [
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.csr`,
        '-subj',
        `/CN=cma test ${name}`,
      ]);
      await openssl(dir, [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${name}.crt`,
        ...days,
        '-extfile',
        `${name}.ext`,
      ]);
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.crt'),
    clientKey: join(dir, 'client.key'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** An HTTPS server with the PKI's server certificate; `requireClientCert` makes it demand the PKI's client cert. */
export async function httpsServer(
  pki: TestPki,
  statusOrHandler: number | Handler,
  options: ListenOptions & { requireClientCert?: boolean } = {},
): Promise<TestServer> {
  const handler = typeof statusOrHandler === 'number' ? statusHandler(statusOrHandler) : statusOrHandler;
  const server = createHttpsServer(
    {
      cert: await readFile(pki.serverCert),
      key: await readFile(pki.serverKey),
      ca: await readFile(pki.caCert),
      requestCert: options.requireClientCert === true,
      rejectUnauthorized: options.requireClientCert === true,
    },
    handler,
  );
  server.keepAliveTimeout = 1000;
  return listen(server, 'https', options);
}
