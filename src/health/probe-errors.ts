// Turns whatever a failed probe threw into one short line an operator can act on. Built from error codes,
// never from the request, so no URL userinfo or header can reach logs, status or metrics through it.

/** Where the request was when it failed: before the socket was usable, waiting for headers, or reading the body. */
export type Phase = 'connect' | 'response' | 'body';

const TIMEOUT_WORDING: Record<Phase, string> = {
  connect: 'connect timeout',
  response: 'no response',
  body: 'body not complete',
};

/** Node's and OpenSSL's certificate and handshake error codes (ERR_TLS_*, ERR_SSL_*, DEPTH_ZERO_SELF_SIGNED_CERT...). */
const TLS_CODE = /CERT|SSL|TLS|SIGNATURE|ISSUER/;

interface CodedError {
  code?: unknown;
  syscall?: unknown;
  message?: unknown;
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

/** `'deadline'` = the probe's own timer fired. */
export function describeProbeError(err: unknown, phase: Phase, timeoutMs: number): string {
  if (err === 'deadline') return `${TIMEOUT_WORDING[phase]} after ${timeoutMs}ms`;
  const e = (typeof err === 'object' && err !== null ? err : {}) as CodedError;
  const code = typeof e.code === 'string' ? e.code : undefined;
  // node:http's "socket hang up": the server closed the connection before a complete response.
  if (code === 'ECONNRESET' && e.syscall === undefined) return 'connection closed by server';
  if (code !== undefined && typeof e.syscall === 'string') return `${e.syscall} ${code}`;
  // containerd checks the certificate against the host it dials; for a resolved mirror that is the address.
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return 'TLS certificate does not cover the address dialled (containerd checks it against the address written)';
  if (code !== undefined && TLS_CODE.test(code)) return `TLS ${code}`;
  if (code !== undefined) return code;
  return typeof e.message === 'string' && e.message !== '' ? firstLine(e.message) : 'unknown error';
}
