// One health probe of one mirror endpoint: `GET <url>/v2/` with a hard deadline on the whole request.
// A mirror that accepts connections and never answers, or whose address drops packets, is exactly the case
// this agent exists for (containerd waits 30 s per request there), so the deadline must hold in every phase:
// undici ignores AbortSignal while connecting, so the probe owns the socket and destroys it itself.
import { Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Client, buildConnector } from 'undici';
import type { TlsSettings } from '../model.js';
import { tlsConnectionOptions } from './tls-files.js';
import { describeProbeError, type Phase } from './probe-errors.js';

export interface ProbeTarget {
  url: string;
  tls: TlsSettings;
}

export interface ProbeResult {
  ok: boolean;
  status?: number;
  /** One short line for humans; never holds a credential. */
  error?: string;
  durationMs: number;
  /** Epoch ms at which the result was known. */
  at: number;
}

/** The body of `/v2/` is `{}` or a short error document; anything larger is read no further. */
const BODY_LIMIT_BYTES = 64 * 1024;

type Outcome = { kind: 'status'; status: number } | { kind: 'error'; err: unknown; phase: Phase } | { kind: 'deadline'; phase: Phase };

/** The origin and the path of the probe; a mirror URL with a path prefix is probed under that prefix. */
function probeAddress(url: string): { origin: string; path: string } | string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'invalid mirror URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `unsupported scheme ${parsed.protocol}`;
  // `protocol//host` rather than `origin` keeps any userinfo out of the request and out of error messages.
  return { origin: `${parsed.protocol}//${parsed.host}`, path: `${parsed.pathname.replace(/\/+$/, '')}/v2/` };
}

/** Up = HTTP 200 or 401 (the registry wants a token) within `timeoutMs`; everything else is down. */
export async function probeOnce(target: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  const finish = (r: { ok: boolean; status?: number; error?: string }): ProbeResult => ({
    ...r,
    durationMs: Math.round(performance.now() - started),
    at: Date.now(),
  });

  const address = probeAddress(target.url);
  if (typeof address === 'string') return finish({ ok: false, error: address });
  let tls: ConnectionOptions;
  try {
    tls = await tlsConnectionOptions(target.tls);
  } catch (err) {
    return finish({ ok: false, error: (err as Error).message });
  }

  const outcome = await requestWithDeadline(address.origin, address.path, tls, timeoutMs);
  if (outcome.kind === 'status') {
    const ok = outcome.status === 200 || outcome.status === 401;
    return finish(ok ? { ok, status: outcome.status } : { ok, status: outcome.status, error: `HTTP ${outcome.status}` });
  }
  const error = describeProbeError(outcome.kind === 'deadline' ? 'deadline' : outcome.err, outcome.phase, timeoutMs);
  return finish({ ok: false, error });
}

async function requestWithDeadline(origin: string, path: string, tls: ConnectionOptions, timeoutMs: number): Promise<Outcome> {
  let phase: Phase = 'connect';
  const sockets: Socket[] = [];
  // undici's own connect timeout is the connector's `timeout`; the probe's timer below is the one that counts.
  const connectWith = buildConnector({ ...tls, timeout: timeoutMs, keepAlive: false });
  const connect: buildConnector.connector = (options, callback) => {
    // buildConnector returns the socket it creates (its type says void): keeping it lets the deadline destroy
    // a connection that is still in SYN_SENT or in the TLS handshake.
    const socket: unknown = connectWith(options, (...args) => {
      if (args[0] === null) phase = 'response';
      callback(...args);
    });
    if (socket instanceof Socket) sockets.push(socket);
  };
  const client = new Client(origin, { connect, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, pipelining: 1 });

  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'deadline', phase }), timeoutMs);
  });
  const work = (async (): Promise<Outcome> => {
    const res = await client.request({ path, method: 'GET', headers: { accept: 'application/json' } });
    phase = 'body';
    await res.body.dump({ limit: BODY_LIMIT_BYTES });
    return { kind: 'status', status: res.statusCode };
  })().catch((err: unknown): Outcome => ({ kind: 'error', err, phase }));

  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
    for (const socket of sockets) socket.destroy();
    // Destroying errors the request still in flight; `work` has already turned that into a value.
    await client.destroy().catch(() => undefined);
  }
}
