// The fuzzer's DNS-answer mode (issue 25): random answers for a named mirror (counts up to a 4 000-record TCP
// answer, both families, the special addresses in every spelling: IPv4, IPv6, IPv4-mapped dotted and hex,
// upper case, uncompressed, duplicates, text that is no address) through the screen the agent applies to
// every answer (src/health/dns-answers.ts), and a sample through a real DNS server on loopback and the
// agent's resolver. The oracle is independent of the code under test: Node's BlockList, which also matches
// IPv4-mapped IPv6 against IPv4 ranges. Deterministic from a fast-check seed, like the config mode.
import { BlockList, isIP } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { screenAnswers, screenNote } from '../../src/health/dns-answers.js';
import { NameResolver } from '../../src/health/resolver.js';
import { dnsmasqUnavailable, startDnsmasq } from '../helpers/dnsmasq.js';
import { emptySummary, record, type Summary } from './harness.js';

export interface DnsAnswer {
  addresses: string[];
  allowLoopback: boolean;
}

/** The mirror limit the agent screens with (config/limits.ts). */
const LIMIT = 16;
/** A note is one log line: bounded whatever the answer. */
const NOTE_MAX = 400;

const octet = fc.integer({ min: 0, max: 255 });
const group = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
const ipv4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
const ipv6 = fc.array(group, { minLength: 8, maxLength: 8 }).map((g) => g.join(':'));
const special = fc.oneof(
  fc.tuple(octet, octet, octet).map(([a, b, c]) => `127.${a}.${b}.${c}`),
  fc.tuple(octet, octet).map(([a, b]) => `169.254.${a}.${b}`),
  fc.tuple(fc.integer({ min: 224, max: 239 }), octet, octet, octet).map((o) => o.join('.')),
  fc.tuple(octet, octet, octet).map(([a, b, c]) => `0.${a}.${b}.${c}`),
  fc.constantFrom('0.0.0.0', '255.255.255.255', '::', '::1', '0:0:0:0:0:0:0:1', '0:0:0:0:0:0:0:0', '169.254.169.254'),
  fc.tuple(fc.integer({ min: 0xfe80, max: 0xfebf }), group).map(([a, b]) => `${a.toString(16)}::${b}`),
  fc.tuple(fc.integer({ min: 0xff00, max: 0xffff }), group).map(([a, b]) => `${a.toString(16)}::${b}`),
);
/** An IPv4 address as IPv4-mapped IPv6, dotted or hex, the way a hostile server may spell it. */
const mapped = fc
  .tuple(
    fc.oneof(
      ipv4,
      special.filter((a) => isIP(a) === 4),
    ),
    fc.boolean(),
  )
  .map(([v4, hex]) => {
    if (!hex) return `::ffff:${v4}`;
    const [a = 0, b = 0, c = 0, d = 0] = v4.split('.').map(Number);
    return `::ffff:${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  });
const spelled = (address: fc.Arbitrary<string>) => fc.tuple(address, fc.boolean()).map(([a, upper]) => (upper ? a.toUpperCase() : a));
const oneAddress = fc.oneof(
  { weight: 3, arbitrary: ipv4 },
  { weight: 2, arbitrary: spelled(ipv6) },
  { weight: 3, arbitrary: spelled(special) },
  { weight: 2, arbitrary: spelled(mapped) },
  { weight: 1, arbitrary: fc.constantFrom('', 'cache.example', '1.2.3', '::ffff:1.2.3.4.5', '256.1.1.1', 'fe80::1%eth0') },
);
const count = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 20 }) },
  { weight: 2, arbitrary: fc.integer({ min: 17, max: 200 }) },
  { weight: 1, arbitrary: fc.constantFrom(1000, 4000) },
);

export const dnsAnswer: fc.Arbitrary<DnsAnswer> = fc.tuple(count, fc.boolean(), fc.boolean()).chain(([n, allowLoopback, repeat]) =>
  fc.array(oneAddress, { minLength: n, maxLength: n }).map((addresses) => ({
    // Servers repeat records; the resolver dedupes, the screen must hold either way.
    addresses: repeat ? [...addresses, ...addresses.slice(0, 3)] : addresses,
    allowLoopback,
  })),
);

export function dnsAnswerAt(seed: number, index: number): DnsAnswer {
  const [a] = fc.sample(dnsAnswer, { seed: (seed + index * 7919) | 0, numRuns: 1 });
  if (a === undefined) throw new Error('fast-check sampled nothing');
  return a;
}

function oracle(allowLoopback: boolean): BlockList {
  const list = new BlockList();
  const v4: Array<[string, number]> = [
    ['0.0.0.0', 8],
    ['169.254.0.0', 16],
    ['224.0.0.0', 4],
    ['255.255.255.255', 32],
  ];
  const v6: Array<[string, number]> = [
    ['::', 128],
    ['fe80::', 10],
    ['ff00::', 8],
  ];
  if (!allowLoopback) {
    v4.push(['127.0.0.0', 8]);
    v6.push(['::1', 128]);
  }
  for (const [net, bits] of v4) list.addSubnet(net, bits, 'ipv4');
  for (const [net, bits] of v6) list.addSubnet(net, bits, 'ipv6');
  return list;
}

/** Why the screen is wrong on `answer`; empty when it holds. */
export function screenProblems(answer: DnsAnswer): string[] {
  const problems: string[] = [];
  const screened = screenAnswers(answer.addresses, { allowLoopback: answer.allowLoopback, limit: LIMIT });
  const refusedBy = oracle(answer.allowLoopback);
  const usable = (a: string): boolean => {
    const family = isIP(a);
    if (family === 0) return false;
    // BlockList does not take a zone: an address with one is no address the resolver gives.
    if (a.includes('%')) return false;
    return !refusedBy.check(a, family === 4 ? 'ipv4' : 'ipv6');
  };
  const want = answer.addresses.filter(usable);
  if (screened.kept.length > LIMIT) problems.push(`kept ${screened.kept.length} addresses, over the limit ${LIMIT}`);
  for (const a of screened.kept) if (!usable(a)) problems.push(`kept ${a}, which must be refused`);
  if (screened.kept.join(' ') !== want.slice(0, LIMIT).join(' '))
    problems.push(`kept [${screened.kept.join(', ')}], want the first ${LIMIT} usable in order`);
  if (screened.overLimit !== Math.max(want.length - LIMIT, 0))
    problems.push(`overLimit ${screened.overLimit}, want ${Math.max(want.length - LIMIT, 0)}`);
  if (screened.kept.length + screened.refused.length + screened.overLimit !== answer.addresses.length)
    problems.push('an address is neither kept, refused nor counted');
  const note = screenNote(screened, LIMIT) ?? '';
  if (note.length > NOTE_MAX) problems.push(`note of ${note.length} characters, over ${NOTE_MAX}`);
  if (note.includes('\n')) problems.push('note spans lines');
  return problems;
}

/** `count` answers of `seed`, in process: each screened and judged. */
export function runDnsAnswers(seed: number, count: number, summary: Summary = emptySummary()): Summary {
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const cpu = process.cpuUsage();
    let problems: string[];
    try {
      problems = screenProblems(dnsAnswerAt(seed, i));
    } catch (err) {
      problems = [`threw: ${String(err)}`];
    }
    const used = process.cpuUsage(cpu);
    const ms = Math.round(performance.now() - started);
    record(summary, seed, i, { exit: problems.length === 0 ? 0 : 1, ms, cpuMs: Math.round((used.user + used.system) / 1000), problems });
  }
  return summary;
}

/**
 * `count` answers of `seed` served by dnsmasq on loopback and asked through the agent's resolver: what it
 * returns is screened (at most the limit, nothing special), and an answer with nothing usable is an error.
 * Skipped (ran 0) without dnsmasq.
 */
export async function runDnsThroughServer(seed: number, count: number, summary: Summary = emptySummary()): Promise<Summary> {
  if (dnsmasqUnavailable() !== undefined) return summary;
  const dir = await mkdtemp(join(tmpdir(), 'cma-fuzz-dns-'));
  const dns = await startDnsmasq({ dir, host: '127.0.0.57' });
  try {
    for (let i = 0; i < count; i++) {
      const answer = dnsAnswerAt(seed, i);
      // A hosts file takes addresses only, one spelling each: what a server can put in a record.
      const served = [...new Set(answer.addresses.filter((a) => isIP(a) !== 0 && !a.includes('%')).map((a) => a.toLowerCase()))];
      const name = `fuzz-${i}.cluster.local`;
      const started = performance.now();
      await dns.setRecord(name, served);
      const resolver = new NameResolver({
        servers: [dns.server],
        timeoutMs: 5000,
        allowLoopback: answer.allowLoopback,
        maxAddresses: LIMIT,
      });
      const got = await resolver.resolve(name, 1000);
      const refusedBy = oracle(answer.allowLoopback);
      const problems: string[] = [];
      if (got.addresses.length > LIMIT) problems.push(`resolver gave ${got.addresses.length} addresses`);
      for (const a of got.addresses) if (refusedBy.check(a, isIP(a) === 4 ? 'ipv4' : 'ipv6')) problems.push(`resolver gave ${a}`);
      if (served.length > 0 && got.addresses.length === 0 && got.error === undefined) problems.push('no address and no reason');
      record(summary, seed, i, { exit: problems.length === 0 ? 0 : 1, ms: Math.round(performance.now() - started), cpuMs: 0, problems });
    }
  } finally {
    await dns.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return summary;
}
