// Reads the CA and client certificate files a probe needs. Probes run every few seconds for the life of the
// daemon: re-reading is skipped while a file's mtime and size are unchanged, and a file rotated in place
// (cert-manager, kubelet volume swap) is picked up at the next probe.
import { stat } from 'node:fs/promises';
import { createSecureContext, rootCertificates, type ConnectionOptions, type SecureContext } from 'node:tls';
import type { TlsSettings } from '../model.js';
import { FileReadError, readRegularFile } from '../regular-file.js';

interface CachedFile {
  mtimeMs: number;
  size: number;
  data: Buffer;
}

const cache = new Map<string, CachedFile>();
/**
 * Secure contexts by the identity of the files they were built from. Building one parses every system root
 * (~30 ms); a context is reused until one of its files changes. Bounded: cleared when full.
 */
const contexts = new Map<string, SecureContext>();
const MAX_CONTEXTS = 64;

/** Thrown when a file named in the TLS settings cannot be read; `message` names the field and the path. */
export class TlsFileError extends Error {
  constructor(field: string, path: string, cause: unknown) {
    const code = cause instanceof FileReadError ? cause.reason : ((cause as NodeJS.ErrnoException | undefined)?.code ?? 'unreadable');
    super(`cannot read ${field} ${path}: ${code}`, { cause });
    this.name = 'TlsFileError';
  }
}

async function readCached(field: string, path: string): Promise<CachedFile> {
  try {
    const st = await stat(path);
    const hit = cache.get(path);
    if (hit !== undefined && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit;
    const file = { mtimeMs: st.mtimeMs, size: st.size, data: await readRegularFile(path) };
    cache.set(path, file);
    return file;
  } catch (err) {
    cache.delete(path);
    throw new TlsFileError(field, path, err);
  }
}

/**
 * Node TLS options equivalent to what containerd does with the same hosts.toml settings: `ca` files are
 * added to the system roots (Node's `ca` option replaces them, Go's appends), only the first `client` pair
 * is presented (Go would pick the first one the server accepts; mirrors use one), `skipVerify` disables
 * verification entirely.
 */
export async function tlsConnectionOptions(tls: TlsSettings): Promise<ConnectionOptions> {
  const rejectUnauthorized = !tls.skipVerify;
  const pair = tls.client[0];
  if (tls.ca.length === 0 && pair === undefined) return { rejectUnauthorized };
  const cas = await Promise.all(tls.ca.map((p) => readCached('ca', p)));
  const cert = pair === undefined ? undefined : await readCached('client cert', pair.cert);
  const key = pair === undefined ? undefined : await readCached('client key', pair.key);

  const identity = JSON.stringify([tls.ca, pair, [...cas, cert, key].map((f) => f && [f.mtimeMs, f.size])]);
  let secureContext = contexts.get(identity);
  if (secureContext === undefined) {
    secureContext = createSecureContext({
      ca: cas.length > 0 ? [...rootCertificates, ...cas.map((f) => f.data)] : undefined,
      cert: cert?.data,
      key: key?.data,
    });
    if (contexts.size >= MAX_CONTEXTS) contexts.clear();
    contexts.set(identity, secureContext);
  }
  return { rejectUnauthorized, secureContext };
}
