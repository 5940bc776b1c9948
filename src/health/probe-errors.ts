// Turns whatever a failed probe threw into one short line an operator can act on. Built from error codes,
// never from the request, so no URL userinfo or header can reach logs, status or metrics through it.

/** Where the request was when it failed: before the socket was usable, waiting for headers, or reading the body. */
export type Phase = 'connect' | 'response' | 'body';

const TIMEOUT_WORDING: Record<Phase, string> = {
  connect: 'connect timeout',
  response: 'no response',
  body: 'body not complete',
};

const UNDICI_TIMEOUTS: Record<string, Phase> = {
  UND_ERR_CONNECT_TIMEOUT: 'connect',
  UND_ERR_HEADERS_TIMEOUT: 'response',
  UND_ERR_BODY_TIMEOUT: 'body',
};

/** Node's and OpenSSL's certificate and handshake error codes (ERR_TLS_*, ERR_SSL_*, DEPTH_ZERO_SELF_SIGNED_CERT...). */
const TLS_CODE = /CERT|SSL|TLS|SIGNATURE|ISSUER/;

interface CodedError {
  code?: unknown;
  syscall?: unknown;
  message?: unknown;
  cause?: unknown;
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
  if (code !== undefined && code in UNDICI_TIMEOUTS) {
    return `${TIMEOUT_WORDING[UNDICI_TIMEOUTS[code] ?? phase]} after ${timeoutMs}ms`;
  }
  if (code === 'UND_ERR_SOCKET') {
    // undici wraps the socket's own error (ECONNRESET...) when there was one.
    const inner = e.cause === undefined ? undefined : describeProbeError(e.cause, phase, timeoutMs);
    return inner !== undefined && inner !== 'unknown error' ? inner : 'connection closed by server';
  }
  if (code !== undefined && typeof e.syscall === 'string') return `${e.syscall} ${code}`;
  // containerd checks the certificate against the host it dials; for a resolved mirror that is the address.
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'TLS certificate does not cover the address dialled (containerd checks it against the address written)';
  if (code !== undefined && TLS_CODE.test(code)) return `TLS ${code}`;
  if (code !== undefined) return code;
  return typeof e.message === 'string' && e.message !== '' ? firstLine(e.message) : 'unknown error';
}
