// The name resolver against a real DNS server on loopback (dnsmasq): addresses in a stable order, answers
// reused within the TTL but never past the ceiling, and each failure worded as the mirror's reason.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { NameResolver, TTL_FLOOR_MS } from '../../src/health/resolver.js';
import { newTempDir } from '../helpers/temp-dir.js';
import { dnsmasqUnavailable, startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq.js';

const NAME = 'registry-cache.kube-system.svc.cluster.local';
/** The test bed's DNS answers are loopback addresses: allowed as a node-owned config allows them. */
const SCREEN = { allowLoopback: true, maxAddresses: 16 };

describe('NameResolver on a real DNS server', { skip: dnsmasqUnavailable() }, () => {
  let dir: string;
  let dns: Dnsmasq;
  before(async () => {
    dir = await newTempDir('resolver');
    dns = await startDnsmasq({ dir, ttlSeconds: 30 });
  });
  after(async () => {
    await dns.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers A and AAAA in a stable order: IPv4 numerically, then IPv6', async () => {
    await dns.setRecord(NAME, ['::1', '127.0.0.30', '127.0.0.4', '127.0.0.21']);
    const resolution = await new NameResolver({ servers: [dns.server], timeoutMs: 1000, ...SCREEN }).resolve(NAME, 1000);
    assert.deepEqual(resolution.addresses, ['127.0.0.4', '127.0.0.21', '127.0.0.30', '::1']);
    assert.equal(resolution.error, undefined);
  });

  it('reuses an answer within min(TTL, ceiling), then asks again and sees a changed record', async () => {
    let now = 1_000_000;
    const resolver = new NameResolver({ servers: [dns.server], timeoutMs: 1000, now: () => now, ...SCREEN });
    await dns.setRecord(NAME, ['127.0.0.21']);
    const first = await resolver.resolve(NAME, 1000);
    assert.equal(first.reuseMs, 1000, 'a 30 s TTL is cut to the ceiling');
    await dns.setRecord(NAME, ['127.0.0.22']);
    now += 999;
    assert.deepEqual((await resolver.resolve(NAME, 1000)).addresses, ['127.0.0.21'], 'reused inside the ceiling');
    now += 1;
    assert.deepEqual((await resolver.resolve(NAME, 1000)).addresses, ['127.0.0.22'], 'asked again at the ceiling');
  });

  it('a TTL of 0 is reused for the floor only', async () => {
    const zero = await startDnsmasq({ dir: join(dir, 'zero'), host: '127.0.0.54', ttlSeconds: 0 });
    try {
      await zero.setRecord(NAME, ['127.0.0.21']);
      const resolution = await new NameResolver({ servers: [zero.server], timeoutMs: 1000, ...SCREEN }).resolve(NAME, 1000);
      assert.equal(resolution.reuseMs, TTL_FLOOR_MS);
    } finally {
      await zero.stop();
    }
  });

  it('screens the answer: special addresses refused with their reason, loopback only when allowed', async () => {
    await dns.setRecord(NAME, ['0.0.0.0', '169.254.169.254', '127.0.0.21', '::', '::ffff:127.0.0.1', 'fe80::1', 'ff02::1']);
    const strict = await new NameResolver({ servers: [dns.server], timeoutMs: 1000, maxAddresses: 16 }).resolve(NAME, 1000);
    assert.deepEqual(strict.addresses, []);
    assert.match(
      strict.error ?? '',
      /^no usable address for registry-cache\.kube-system\.svc\.cluster\.local: refused 0\.0\.0\.0 \(unspecified\), 127\.0\.0\.21 \(loopback\), 169\.254\.169\.254 \(link-local\), :: \(unspecified\) and 3 more: never written$/,
    );
    const allowed = await new NameResolver({ servers: [dns.server], timeoutMs: 1000, ...SCREEN }).resolve(NAME, 1000);
    assert.deepEqual(allowed.addresses, ['127.0.0.21', '::ffff:127.0.0.1']);
    assert.match(
      allowed.note ?? '',
      /^refused 0\.0\.0\.0 \(unspecified\), 169\.254\.169\.254 \(link-local\), :: \(unspecified\), fe80::1 \(link-local\) and 1 more: never written$/,
    );
  });

  it('NXDOMAIN: the name does not exist', async () => {
    await dns.setRecord(NAME, []);
    const resolution = await new NameResolver({ servers: [dns.server], timeoutMs: 1000, ...SCREEN }).resolve(NAME, 1000);
    assert.deepEqual(resolution.addresses, []);
    assert.match(resolution.error ?? '', /^NXDOMAIN: .* says registry-cache\.kube-system\.svc\.cluster\.local does not exist$/);
  });

  it('the DNS server stopped: no server answers', async () => {
    const gone = await startDnsmasq({ dir: join(dir, 'gone'), host: '127.0.0.55' });
    await gone.stop();
    const resolution = await new NameResolver({ servers: [gone.server], timeoutMs: 1000, ...SCREEN }).resolve(NAME, 1000);
    assert.match(resolution.error ?? '', /no DNS server answers at 127\.0\.0\.55:\d+/);
  });

  it('a DNS server that never answers: timeout at the deadline', async () => {
    const silent: Socket = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.56', resolve));
    try {
      const server = `127.0.0.56:${silent.address().port}`;
      const resolution = await new NameResolver({ servers: [server], timeoutMs: 300, ...SCREEN }).resolve(NAME, 1000);
      assert.match(resolution.error ?? '', /^DNS timeout: no answer from 127\.0\.0\.56:\d+ within 300 ms$/);
    } finally {
      silent.close();
    }
  });
});
