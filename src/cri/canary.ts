// Proof that containerd reads the agent's hosts dir (issue 11, point 6): a canary registry named after the
// agent's own loopback listener, whose hosts.toml sends containerd to a path only that file names
// (`/cma-canary`, override_path), and one CRI PullImage of a fresh tag. The listener answers 404, so the pull
// fails at once and leaves no image; the path it was asked for says which way containerd went:
// - `/cma-canary/...<tag>`: the hosts.toml was used;
// - `/v2/...<tag>`: containerd used its defaults for the canary's name, which is this listener's own loopback
//   address (containerd speaks plain HTTP to 127.0.0.1), so even a miss never leaves the node or asks DNS;
// - nothing: containerd did not get as far as either.
// A CRI pull without a pod shows no pod event; each check costs one failed pull in containerd's log.
import { randomBytes } from 'node:crypto';
import { GrpcError, NO_STATUS, pullImage } from './cri-client.js';
import { OWNER_MARKER } from '../ownership.js';

const CANARY_PATH = '/cma-canary';
const CANARY_REPOSITORY = 'containerd-mirror-agent/canary';
/** The whole canary call, connect to last byte: a silent or trickling CRI socket holds the check no longer. */
export const PULL_TIMEOUT_MS = 15_000;

/**
 * The canary registry for a bound listener `host:port`: itself when on 127.0.0.0/8, 127.0.0.1 when on every
 * address; undefined elsewhere (no loopback way to it).
 */
export function canaryRegistry(bound: string): string | undefined {
  const m = /^(.*):(\d+)$/.exec(bound);
  if (!m) return undefined;
  const [, host, port] = m;
  if (host === '0.0.0.0' || host === '::' || host === '[::]') return `127.0.0.1:${port!}`;
  return /^127\.\d+\.\d+\.\d+$/.test(host!) ? `${host!}:${port!}` : undefined;
}

/** The canary's hosts.toml: every 1.5+ containerd reads it (a [host] table, no 2.x-only keys). */
export function canaryHostsToml(registry: string): string {
  const url = `http://${registry}${CANARY_PATH}`;
  return [
    // The owner marker first: a file without it is someone else's, which the next start would back up.
    OWNER_MARKER,
    '# The check that containerd reads this directory: pulls of this name reach only the agent, which answers 404.',
    `server = "http://${registry}"`,
    '',
    `[host."${url}"]`,
    '  capabilities = ["pull", "resolve"]',
    '  override_path = true',
    '',
  ].join('\n');
}

export interface CanaryResult {
  /** true: containerd used the file; false: it did not; null: it could not be asked. */
  hostsInEffect: boolean | null;
  /** One line: what was seen. */
  detail: string;
}

/** What the listener saw of the check in progress: only requests naming its fresh random tag count. */
interface Probe {
  tag: string;
  /** containerd asked under CANARY_PATH: it used the canary's hosts.toml. */
  throughHosts: boolean;
  /** containerd asked elsewhere (its default `/v2/`). */
  elsewhere: boolean;
}

export class Canary {
  private probe: Probe | undefined;

  constructor(
    private readonly socket: string,
    readonly registry: string,
  ) {}

  /**
   * Every request path the listener gets. Only one that names the running check's tag counts, and only as two
   * flags: any local process can send requests here, but none can crowd out containerd's or make it unseen.
   */
  onRequest(path: string): void {
    const probe = this.probe;
    if (probe === undefined || !path.includes(`/${CANARY_REPOSITORY}/`) || !path.endsWith(`/${probe.tag}`)) return;
    if (path.startsWith(`${CANARY_PATH}/`)) probe.throughHosts = true;
    else probe.elsewhere = true;
  }

  /** One check, bounded by PULL_TIMEOUT_MS; `signal` ends it at once (the agent stopping). */
  async check(signal?: AbortSignal): Promise<CanaryResult> {
    // 128 random bits: a tag no other process can guess while the check runs.
    const probe: Probe = { tag: `check-${randomBytes(16).toString('hex')}`, throughHosts: false, elsewhere: false };
    const ref = `${this.registry}/${CANARY_REPOSITORY}:${probe.tag}`;
    this.probe = probe;
    let failure: unknown;
    try {
      await pullImage(this.socket, ref, PULL_TIMEOUT_MS, signal);
    } catch (err) {
      failure = err;
    } finally {
      this.probe = undefined;
    }
    if (probe.throughHosts) return { hostsInEffect: true, detail: `containerd pulled ${ref} through ${this.registry}/hosts.toml` };
    if (failure === undefined)
      return { hostsInEffect: null, detail: `the canary pull of ${ref} succeeded, which the agent's 404 cannot explain` };
    if (!(failure instanceof GrpcError) || failure.code === NO_STATUS || failure.code === 12 || failure.code === 14) {
      return { hostsInEffect: null, detail: `cannot ask containerd's CRI at ${this.socket}: ${errorText(failure)}` };
    }
    if (probe.elsewhere)
      return { hostsInEffect: false, detail: `containerd pulled ${ref} from its default host, not through ${this.registry}/hosts.toml` };
    return { hostsInEffect: false, detail: `containerd never asked the host ${this.registry}/hosts.toml names (${errorText(failure)})` };
  }
}

function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]!.slice(0, 300);
}
