// Resolves a mirror's DNS name (A and AAAA) through the cluster's DNS servers, for the probe loop.
// Shaped so: the node itself cannot resolve a cluster Service name, so the agent asks the cluster DNS (or the
// servers it is given) with node:dns's Resolver, which reports each record's TTL. An answer is reused for
// its TTL, but never longer than the caller's ceiling (half a probe interval, so each steady-state probe
// asks again and a recreated Service is followed within one interval) and never shorter than a floor (so
// the fast probes of an `unknown` address, 25 ms apart, do not each send a query). Failures are values, not
// exceptions, worded for a human: they become the mirror's reason for being down.
import { Resolver } from 'node:dns/promises';
import { isIPv6 } from 'node:net';
import { realClock, timerDelay } from '../clock.js';
import { screenAnswers, screenNote } from './dns-answers.js';

export interface Resolution {
  name: string;
  /** IPv4 then IPv6, each in numeric order: the order written, whatever order the server answered in. */
  addresses: string[];
  /** Epoch ms of the answer or of the failure. */
  at: number;
  /** How long this answer may be reused, ms. */
  reuseMs: number;
  /** Why the name gave no address (NXDOMAIN, timeout, no server, every answer refused); `addresses` is then empty. */
  error?: string;
  /** Answers refused or past the limit (dns-answers.ts), when there were any. */
  note?: string;
}

/** The shortest reuse of an answer, whatever its TTL (a TTL of 0 is common for headless Services). */
export const TTL_FLOOR_MS = 250;

export interface ResolverOptions {
  /** `IP` or `IP:port` (`[IPv6]:port`); empty: the system's (/etc/resolv.conf). */
  servers: readonly string[];
  /** Deadline of one lookup (A and AAAA together). */
  timeoutMs: number;
  /** Loopback answers are used (node-owned `allowLoopbackAnswers`); default: refused like link-local. */
  allowLoopback?: boolean;
  /** Addresses used per name at most (the mirror limit). */
  maxAddresses: number;
  now?: () => number;
}

interface DnsError {
  code?: string;
}

function numericKey(address: string): string {
  if (!isIPv6(address))
    return `4${address
      .split('.')
      .map((p) => p.padStart(3, '0'))
      .join('.')}`;
  return `6${address}`;
}

function sortAddresses(addresses: Iterable<string>): string[] {
  return [...new Set(addresses)].sort((a, b) => (numericKey(a) < numericKey(b) ? -1 : numericKey(a) > numericKey(b) ? 1 : 0));
}

export class NameResolver {
  private readonly servers: readonly string[];
  private readonly timeoutMs: number;
  private readonly screen: { allowLoopback: boolean; limit: number };
  private readonly now: () => number;
  private readonly cache = new Map<string, Resolution>();
  private readonly pending = new Map<string, Promise<Resolution>>();

  constructor(options: ResolverOptions) {
    this.servers = options.servers;
    this.timeoutMs = options.timeoutMs;
    this.screen = { allowLoopback: options.allowLoopback ?? false, limit: options.maxAddresses };
    this.now = options.now ?? (() => realClock.now());
  }

  /** The addresses of `name`, from the cache while its answer is fresh (at most `ceilingMs` old). */
  async resolve(name: string, ceilingMs: number): Promise<Resolution> {
    const cached = this.cache.get(name);
    if (cached !== undefined && this.now() - cached.at < Math.min(cached.reuseMs, ceilingMs)) return cached;
    const inFlight = this.pending.get(name);
    if (inFlight !== undefined) return inFlight;
    const lookup = this.lookup(name, ceilingMs).then((resolution) => {
      this.cache.set(name, resolution);
      return resolution;
    });
    this.pending.set(name, lookup);
    try {
      return await lookup;
    } finally {
      this.pending.delete(name);
    }
  }

  /** Forgets names no longer asked for. */
  retain(names: ReadonlySet<string>): void {
    for (const name of this.cache.keys()) if (!names.has(name)) this.cache.delete(name);
  }

  private where(): string {
    return this.servers.length > 0 ? this.servers.join(', ') : 'the system resolver';
  }

  private async lookup(name: string, ceilingMs: number): Promise<Resolution> {
    // One Resolver per lookup: cancel() at the deadline must not cut another name's query short.
    const resolver = new Resolver({ timeout: this.timeoutMs, tries: 1 });
    if (this.servers.length > 0) resolver.setServers([...this.servers]);
    const records: Array<{ address: string; ttl: number }> = [];
    const codes: Array<string | undefined> = [];
    const ask = (query: Promise<Array<{ address: string; ttl: number }>>) =>
      query.then(
        (answer) => void records.push(...answer),
        (err: unknown) => void codes.push((err as DnsError).code),
      );
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), timerDelay(this.timeoutMs));
    });
    // A server that answers A but drops AAAA (or the other way round) still gives the addresses it answered.
    const outcome = await Promise.race([
      Promise.all([ask(resolver.resolve4(name, { ttl: true })), ask(resolver.resolve6(name, { ttl: true }))]),
      deadline,
    ]);
    clearTimeout(timer);
    if (outcome === 'deadline') resolver.cancel();
    const at = this.now();
    if (records.length > 0) {
      const ttlMs = Math.min(...records.map((r) => r.ttl)) * 1000;
      const reuseMs = Math.max(Math.min(ttlMs, ceilingMs), Math.min(TTL_FLOOR_MS, ceilingMs));
      const screened = screenAnswers(sortAddresses(records.map((r) => r.address)), this.screen);
      const note = screenNote(screened, this.screen.limit);
      if (screened.kept.length === 0) return { ...this.failure(name, at, `no usable address for ${name}: ${note ?? ''}`), reuseMs };
      return { name, addresses: screened.kept, at, reuseMs, ...(note === undefined ? {} : { note }) };
    }
    if (outcome === 'deadline') return this.failure(name, at, `DNS timeout: no answer from ${this.where()} within ${this.timeoutMs} ms`);
    return this.failure(name, at, this.describe(name, codes));
  }

  private failure(name: string, at: number, error: string): Resolution {
    return { name, addresses: [], at, reuseMs: TTL_FLOOR_MS, error };
  }

  /** One line for humans from the codes of the A and AAAA queries. */
  private describe(name: string, codes: Array<string | undefined>): string {
    const where = this.where();
    if (codes.includes('ENOTFOUND')) return `NXDOMAIN: ${where} says ${name} does not exist`;
    if (codes.every((c) => c === 'ENODATA')) return `no A or AAAA record for ${name} at ${where}`;
    if (codes.includes('ETIMEOUT')) return `DNS timeout: no answer from ${where} within ${this.timeoutMs} ms`;
    if (codes.includes('ECONNREFUSED')) return `no DNS server answers at ${where} (connection refused)`;
    if (codes.includes('ESERVFAIL')) return `DNS server failure (SERVFAIL) at ${where} for ${name}`;
    if (codes.includes('EREFUSED')) return `${where} refused to answer for ${name}`;
    return `DNS lookup of ${name} at ${where} failed (${codes.filter((c) => c !== undefined).join(', ') || 'unknown error'})`;
  }
}
