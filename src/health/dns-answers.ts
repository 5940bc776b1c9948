// Which addresses of a DNS answer may become mirrors: the screen between what a DNS server says and what the
// agent probes and writes.
// Shaped so: whoever answers for a mirror's name chooses where containerd connects and where its credential
// header goes, so an answer is held to the rules Kubernetes applies to Endpoint IPs: never loopback,
// unspecified, link-local (cloud metadata at 169.254.169.254) or multicast, in IPv4, IPv6 or IPv4-mapped
// IPv6 form (::ffff:127.0.0.1 is the node itself). Each refused address is kept with its reason, for the log
// and status. Then at most `limit` addresses (the mirror limit) are kept, in the resolver's stable order, so
// one huge answer (thousands of records, over TCP) cannot become thousands of probed endpoints and tables.
// A node-owned config may allow loopback answers (`allowLoopbackAnswers`): a DNS server on the node itself
// (a test bed, a node-local cache) is the node's own choice; a cluster source can never set it.
import { isIPv4, isIPv6 } from 'node:net';

export interface ScreenOptions {
  /** Loopback answers are kept (node-owned `allowLoopbackAnswers`); every other rule still holds. */
  allowLoopback: boolean;
  /** Addresses kept at most; the rest are counted, never probed. */
  limit: number;
}

export interface Screened {
  /** In the order given, at most `limit`. */
  kept: string[];
  /** Addresses never written, each with why: `169.254.169.254 (link-local)`. */
  refused: string[];
  /** Allowed addresses past the limit, neither probed nor written. */
  overLimit: number;
}

type Kind = 'loopback' | 'unspecified' | 'link-local' | 'multicast' | 'broadcast';

function ipv4Kind(a: number, b: number, all: readonly number[]): Kind | undefined {
  if (a === 127) return 'loopback';
  if (a === 0) return 'unspecified';
  if (a === 169 && b === 254) return 'link-local';
  if (a >= 224 && a <= 239) return 'multicast';
  if (all.every((octet) => octet === 255)) return 'broadcast';
  return undefined;
}

/** The eight 16-bit groups of an IPv6 address, dotted IPv4 tails included. */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

function ipv6Kind(address: string): Kind | undefined {
  const g = ipv6Groups(address);
  const zeros = (n: number): boolean => g.slice(0, n).every((x) => x === 0);
  // IPv4-mapped (::ffff:a.b.c.d): a socket to it reaches the IPv4 address.
  if (zeros(5) && g[5] === 0xffff) {
    const octets = [(g[6] ?? 0) >> 8, (g[6] ?? 0) & 0xff, (g[7] ?? 0) >> 8, (g[7] ?? 0) & 0xff];
    return ipv4Kind(octets[0] ?? 0, octets[1] ?? 0, octets);
  }
  if (zeros(7) && g[7] === 1) return 'loopback';
  if (zeros(8)) return 'unspecified';
  const first = g[0] ?? 0;
  if ((first & 0xffc0) === 0xfe80) return 'link-local';
  if ((first & 0xff00) === 0xff00) return 'multicast';
  return undefined;
}

/** Why `address` must never be a mirror, or undefined; anything that is not an IP address is refused too. */
export function addressKind(address: string): Kind | 'not an IP address' | undefined {
  if (isIPv4(address)) {
    const octets = address.split('.').map(Number);
    return ipv4Kind(octets[0] ?? 0, octets[1] ?? 0, octets);
  }
  if (isIPv6(address)) return ipv6Kind(address);
  return 'not an IP address';
}

export function screenAnswers(addresses: readonly string[], options: ScreenOptions): Screened {
  const allowed: string[] = [];
  const refused: string[] = [];
  for (const address of addresses) {
    const kind = addressKind(address);
    if (kind === undefined || (kind === 'loopback' && options.allowLoopback)) allowed.push(address);
    else refused.push(`${address} (${kind})`);
  }
  return { kept: allowed.slice(0, options.limit), refused, overLimit: Math.max(allowed.length - options.limit, 0) };
}

/** One phrase for the log and status, e.g. `refused 0.0.0.0 (unspecified); 3984 more addresses not used (limit 16)`. */
export function screenNote(screened: Screened, limit: number): string | undefined {
  const parts: string[] = [];
  // A flood of refused answers is summarised, not listed: the note is one log line.
  const shown = screened.refused.slice(0, 4);
  const rest = screened.refused.length - shown.length;
  if (shown.length > 0) parts.push(`refused ${shown.join(', ')}${rest > 0 ? ` and ${rest} more` : ''}: never written`);
  if (screened.overLimit > 0) parts.push(`${screened.overLimit} more addresses not used (at most ${limit} per mirror)`);
  return parts.length === 0 ? undefined : parts.join('; ');
}
