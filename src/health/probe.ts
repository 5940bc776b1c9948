// One health probe of one mirror endpoint: `GET <url>/v2/` with a hard deadline on the whole request.
// A mirror that accepts connections and never answers, or whose address drops packets, is exactly the case
// this agent exists for (containerd waits 30 s per request there), so the deadline must hold in every phase:
// one timer destroys the request, which node:http honours while resolving, connecting, in the TLS handshake
// and while reading, closing the socket. That is what an AbortSignal does inside node:http, minus its
// EventTarget listener and AbortError per request (a quarter of a probe's CPU in a hot loop on loopback:
// 0.15-0.19 ms against 0.20-0.30 ms). node:http rather than an HTTP client library:
// one GET a few seconds apart needs no pool, and each library probe cost memory and CPU (docs/development.md, "Why these
// dependencies").
// node:https and node:tls are loaded at the first https mirror or TLS file, not at start: an agent whose
// mirrors are all plain http (an in-cluster cache) never pays their 5.5 MiB of RSS.
import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import type { ConnectionOptions } from 'node:tls';
import type { TlsSettings } from '../model.js';
import { realClock } from '../clock.js';
import { describeProbeError, type Phase } from './probe-errors.js';
import { timerDelay } from '../clock.js';

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

interface ProbeAddress {
  https: boolean;
  /** Without IPv6 brackets, as node:net wants it. */
  hostname: string;
  port: number;
  path: string;
}

/**
 * Parsed once per URL, not per probe (URL parsing was a twentieth of a probe's CPU). Bounded: cleared when full,
 * as URLs come and go with the config.
 */
const addresses = new Map<string, ProbeAddress | string>();
const MAX_ADDRESSES = 256;

function cachedProbeAddress(url: string): ProbeAddress | string {
  let address = addresses.get(url);
  if (address === undefined) {
    address = probeAddress(url);
    if (addresses.size >= MAX_ADDRESSES) addresses.clear();
    addresses.set(url, address);
  }
  return address;
}

/** Where the probe goes; a mirror URL with a path prefix is probed under that prefix. */
function probeAddress(url: string): ProbeAddress | string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'invalid mirror URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `unsupported scheme ${parsed.protocol}`;
  // Host, port and path only: any userinfo stays out of the request and out of error messages.
  const https = parsed.protocol === 'https:';
  return {
    https,
    hostname: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port === '' ? (https ? 443 : 80) : Number(parsed.port),
    path: `${parsed.pathname.replace(/\/+$/, '')}/v2/`,
  };
}

/** Up = HTTP 200 or 401 (the registry wants a token) within `timeoutMs`; everything else is down. */
export async function probeOnce(target: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  const finish = (r: { ok: boolean; status?: number; error?: string }): ProbeResult => ({
    ...r,
    durationMs: Math.round(performance.now() - started),
    at: realClock.now(),
  });

  const address = cachedProbeAddress(target.url);
  if (typeof address === 'string') return finish({ ok: false, error: address });
  let tls: ConnectionOptions = {};
  // TLS files named for an http mirror are still read: a missing one is reported the same way.
  if (address.https || target.tls.ca.length > 0 || target.tls.client.length > 0) {
    try {
      tls = await (await import('./tls-files.js')).tlsConnectionOptions(target.tls);
    } catch (err) {
      return finish({ ok: false, error: (err as Error).message });
    }
  }

  const request = address.https ? (await import('node:https')).request : httpRequest;
  const outcome = await requestWithDeadline(request, address, tls, timeoutMs);
  if (outcome.kind === 'status') {
    const ok = outcome.status === 200 || outcome.status === 401;
    return finish(ok ? { ok, status: outcome.status } : { ok, status: outcome.status, error: `HTTP ${outcome.status}` });
  }
  const error = describeProbeError(outcome.kind === 'deadline' ? 'deadline' : outcome.err, outcome.phase, timeoutMs);
  return finish({ ok: false, error });
}

type Request = (options: RequestOptions & ConnectionOptions) => ClientRequest;

function requestWithDeadline(request: Request, address: ProbeAddress, tls: ConnectionOptions, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    let phase: Phase = 'connect';
    // The first outcome wins; destroying the request afterwards closes the socket in whatever phase it is.
    const settle = (outcome: Outcome): void => {
      clearTimeout(timer);
      resolve(outcome);
      req.destroy();
    };
    const timer = setTimeout(() => settle({ kind: 'deadline', phase }), timerDelay(timeoutMs));
    const options = {
      host: address.hostname,
      port: address.port,
      path: address.path,
      method: 'GET',
      headers: { accept: 'application/json' },
      // No pool: a fresh connection per probe is what containerd's next pull would need too.
      agent: false,
    } as const;
    const req = request({ ...options, ...tls });
    req.once('socket', (socket) => socket.once(address.https ? 'secureConnect' : 'connect', () => (phase = 'response')));
    req.once('response', (res: IncomingMessage) => {
      phase = 'body';
      const status = { kind: 'status', status: res.statusCode ?? 0 } as const;
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > BODY_LIMIT_BYTES) settle(status);
      });
      res.once('end', () => settle(status));
      res.on('error', (err) => settle({ kind: 'error', err, phase }));
    });
    // Also catches an error of the destroyed request after an outcome, which `resolve` then ignores.
    req.on('error', (err) => settle({ kind: 'error', err, phase }));
    req.end();
  });
}
