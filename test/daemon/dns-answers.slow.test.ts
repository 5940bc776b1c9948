// Issue 25, items 1 and 3: what a DNS answer may make the running agent probe and write. A real DNS server on
// loopback (dnsmasq) gives a 4 000-record answer (over TCP after truncation): the agent, under the shipped
// heap flags, probes and writes at most 16 addresses (the mirror limit) and reports the rest; special
// addresses (unspecified, link-local, multicast, in every form) are never written and are named as the
// reason; on a mirror-only registry an address is written only once it passed its probes. The test bed's
// Service addresses are loopback ones, which this node-owned config allows (`allowLoopbackAnswers`); the
// link-local answer is only ever screened, never connected to.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { newTempDir } from '../helpers/temp-dir.js';
import { dnsmasqUnavailable, namedMirrorConfig, startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq.js';
import { httpServer, refusedPort, type TestServer } from '../helpers/servers.js';
import { startAgentProcess, type AgentProcess } from '../helpers/agent-process.js';
import { HEAP_FLAGS } from '../fuzz/harness.js';

const FLOOD = 'flood.kube-system.svc.cluster.local';
const SPECIAL = 'special.kube-system.svc.cluster.local';
const UNPROVEN = 'unproven.kube-system.svc.cluster.local';
const INTERVAL_MS = 1000;
const RECORDS = 4000;
const LIMIT = 16;

/** 127.2.0.1, 127.2.0.2, ...: in numeric order, so the first 16 are the ones the agent keeps. */
const floodAddress = (i: number): string => `127.2.${(i + 1) >> 8}.${(i + 1) & 255}`;

describe('run: DNS answers are capped and screened', { skip: dnsmasqUnavailable() }, () => {
  let root: string;
  let hostsDir: string;
  let dns: Dnsmasq;
  let servers: TestServer[] = [];
  let agent: AgentProcess;
  let port: number;

  const hostsFile = async (registry: string): Promise<{ server?: string; host?: Record<string, unknown> }> =>
    parse(await readFile(join(hostsDir, registry, 'hosts.toml'), 'utf8').catch(() => ''));

  before(async () => {
    root = await newTempDir('dns-answers');
    hostsDir = join(root, 'certs.d');
    dns = await startDnsmasq({ dir: join(root, 'dns'), ttlSeconds: 1 });
    const first = await httpServer(200, { host: floodAddress(0) });
    port = Number(new URL(first.url).port);
    servers = [first];
    for (let i = 1; i < LIMIT; i++) servers.push(await httpServer(200, { host: floodAddress(i), port }));
    const flood = Array.from({ length: RECORDS }, (_, i) => floodAddress(i));
    await dns.setRecord(FLOOD, [...flood, '0.0.0.0', '169.254.169.254', '::', 'fe80::1']);
    await dns.setRecord(SPECIAL, ['0.0.0.0', '169.254.169.254', '224.0.0.1', '::', 'fe80::1', 'ff02::1', '::ffff:169.254.169.254']);
    // Nothing listens there: the address never passes a probe.
    const refused = await refusedPort({ host: '127.0.0.41' });
    await dns.setRecord(UNPROVEN, ['127.0.0.41']);
    const registries = [
      `docker.io: {mirrors: [{url: "http://${FLOOD}:${port}"}]}`,
      `quay.io: {fallback: false, mirrors: [{url: "http://${SPECIAL}:${port}"}]}`,
      `ghcr.io: {fallback: false, mirrors: [{url: "http://${UNPROVEN}:${refused.port}"}]}`,
    ];
    await writeFile(join(root, 'config.yaml'), namedMirrorConfig({ root, hostsDir, dns, intervalMs: INTERVAL_MS, registries }));
    agent = await startAgentProcess(['--config', join(root, 'config.yaml'), '--state-dir', join(root, 'state')], {
      NODE_OPTIONS: HEAP_FLAGS.join(' '),
    });
  });
  after(async () => {
    await agent?.stop('SIGKILL');
    for (const s of servers) await s.close();
    await dns?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it(`a ${RECORDS}-record answer: at most ${LIMIT} addresses probed and written, the rest reported, within the heap`, async () => {
    const want = Array.from({ length: LIMIT }, (_, i) => `http://${floodAddress(i)}:${port}`);
    await agent.waitForStatus(`docker.io to write its ${LIMIT} addresses`, (s) => {
      const mirror = s.registries.find((r) => r.name === 'docker.io')?.mirrors[0];
      return mirror?.addresses?.filter((a) => a.written).length === LIMIT;
    });
    const status = (await agent.status()).registries.find((r) => r.name === 'docker.io')?.mirrors[0];
    assert.deepEqual(
      status?.addresses?.map((a) => a.url),
      want,
    );
    assert.match(status?.resolveNote ?? '', /0\.0\.0\.0 \(unspecified\)/);
    assert.match(status?.resolveNote ?? '', new RegExp(`${RECORDS - LIMIT} more addresses not used \\(at most ${LIMIT} per mirror\\)`));
    const line = await agent.waitForLog('mirror_resolved for the flood', (l) => l.event === 'mirror_resolved' && l.name === FLOOD);
    assert.equal((line.addresses as string[]).length, LIMIT);
    assert.match(line.msg, /169\.254\.169\.254 \(link-local\)/);
    // Several probe rounds later the agent is alive (a heap exhausted ends it) and still writes the same 16.
    const round = Date.now();
    await agent.waitForStatus('three more probe rounds', (s) => {
      const mirror = s.registries.find((r) => r.name === 'docker.io')?.mirrors[0];
      return (mirror?.addresses ?? []).every((a) => a.lastProbe !== undefined && Date.parse(a.lastProbe.at) > round + 3 * INTERVAL_MS);
    });
    assert.deepEqual(
      Object.keys((await hostsFile('docker.io')).host ?? {}).filter((u) => u !== 'https://registry-1.docker.io'),
      want,
    );
  });

  it('special answers are never written, and named as the reason', async () => {
    const status = await agent.waitForStatus('quay.io to report its refused answers', (s) => {
      const mirror = s.registries.find((r) => r.name === 'quay.io')?.mirrors[0];
      return mirror?.resolveError !== undefined;
    });
    const mirror = status.registries.find((r) => r.name === 'quay.io')?.mirrors[0];
    for (const reason of ['0.0.0.0 (unspecified)', '169.254.169.254 (link-local)', '224.0.0.1 (multicast)', ':: (unspecified)'])
      assert.ok(mirror?.resolveError?.includes(reason), `${reason} in: ${mirror?.resolveError}`);
    assert.match(mirror?.resolveError ?? '', /and 3 more: never written/);
    assert.deepEqual(mirror?.addresses, []);
    const file = await hostsFile('quay.io');
    // Mirror-only with no usable address: the name stays the server, so containerd fails the pull.
    assert.equal(file.server, `http://${SPECIAL}:${port}`);
    assert.doesNotMatch(JSON.stringify(file), /169\.254|0\.0\.0\.0|fe80|ff02|\[::\]/);
  });

  it('fallback: false writes an address only after it passed a probe', async () => {
    await agent.waitForStatus('ghcr.io address down', (s) => {
      const mirror = s.registries.find((r) => r.name === 'ghcr.io')?.mirrors[0];
      return mirror?.addresses?.[0]?.state === 'down';
    });
    const mirror = (await agent.status()).registries.find((r) => r.name === 'ghcr.io')?.mirrors[0];
    assert.equal(mirror?.addresses?.[0]?.written, false);
    assert.doesNotMatch(JSON.stringify(await hostsFile('ghcr.io')), /127\.0\.0\.41/);
  });
});
