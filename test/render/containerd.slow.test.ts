// The rendered files, read by the real containerd installed on this machine (Debian's 1.6.20 in CI):
// the upstream-only file is accepted (issue 10027), hosts are tried in file order with their header, IPv6
// literals included (containerd 1.x drops a file whose table headers hold `]`, issue 10055).
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ContainerdFacts, HealthView, Registry } from '../../src/model.js';
import { renderHostsTree, rejectsHostlessFile } from '../../src/render/index.js';
import { agentConfig, CONTAINERD_2_1, mirror, registry } from './fixtures.js';
import { httpsServer, makePki, tlsUnavailable } from '../helpers/servers.js';
import {
  containerdUnavailable,
  deadLoopbackHost,
  installedContainerdFacts,
  pull,
  startContainerd,
  startRecorder,
  type Daemon,
  type Recorder,
} from './real-containerd.js';

const unavailable = await containerdUnavailable();
const REPO = 'render/test';

describe('rendered hosts.toml on the installed containerd', { skip: unavailable ?? false }, () => {
  let daemon: Daemon;
  let upstream: Recorder;
  let cacheA: Recorder;
  let cacheB: Recorder;
  let v6: Recorder[];
  let hostsDir: string;
  let facts: ContainerdFacts;
  let name: string;

  before(async () => {
    facts = await installedContainerdFacts();
    hostsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'render-hosts-'));
    [daemon, upstream, cacheA, cacheB, name] = await Promise.all([
      startContainerd(),
      startRecorder(),
      startRecorder(),
      startRecorder(),
      deadLoopbackHost(),
    ]);
    v6 = await Promise.all([startRecorder('::1'), startRecorder('::1'), startRecorder('::1')]);
  });
  after(async () => {
    await Promise.all([daemon?.stop(), upstream?.close(), cacheA?.close(), cacheB?.close(), ...(v6 ?? []).map((r) => r.close())]);
    fs.rmSync(hostsDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    for (const r of [upstream, cacheA, cacheB, ...v6]) r.seen.length = 0;
    fs.rmSync(hostsDir, { recursive: true, force: true });
  });

  async function renderAndPull(reg: Registry, health: HealthView, renderFacts: ContainerdFacts): Promise<void> {
    for (const [file, { content, mode }] of renderHostsTree({ ...agentConfig([reg]), hostsDir }, health, renderFacts)) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content, { mode });
    }
    await pull(daemon, hostsDir, `${name}/${REPO}:latest`);
  }

  const manifestRequests = (r: Recorder) => r.seen.filter((s) => s.url.includes(`${REPO}/manifests/latest`));

  it('sends pulls to the server when every mirror is down (upstream-only file accepted)', async () => {
    const reg = registry(name, { server: upstream.url, mirrors: [mirror(cacheA.url)] });
    await renderAndPull(reg, new Map([[cacheA.url, 'down']]), facts);
    assert.notEqual(manifestRequests(upstream).length, 0, 'the configured server was asked');
    assert.deepEqual(cacheA.seen, [], 'a down mirror is not asked');
  });

  it('ignores a file without [host] on containerd < 1.7.32, which is why the upstream is listed', async (t) => {
    if (!rejectsHostlessFile(facts)) return t.skip(`installed containerd ${JSON.stringify(facts.version)} accepts hostless files`);
    const reg = registry(name, { server: upstream.url, mirrors: [mirror(cacheA.url)] });
    await renderAndPull(reg, new Map([[cacheA.url, 'down']]), CONTAINERD_2_1);
    assert.deepEqual(upstream.seen, [], 'containerd fell back to its default host, not the configured server');
  });

  it('tries mirrors in file order with their Basic header, path-style mirror included, the server last', async () => {
    const reg = registry(name, {
      server: upstream.url,
      mirrors: [
        mirror(cacheA.url, { auth: { kind: 'basic', username: 'cache-user', password: 'cache "pass"' } }),
        mirror(`${cacheB.url}/v2/mirrored`, { overridePath: true }),
      ],
    });
    await renderAndPull(
      reg,
      new Map([
        [cacheA.url, 'up'],
        [`${cacheB.url}/v2/mirrored`, 'up'],
      ]),
      facts,
    );
    const [a, b, up] = [manifestRequests(cacheA), manifestRequests(cacheB), manifestRequests(upstream)];
    assert.ok(a.length > 0 && b.length > 0 && up.length > 0, 'every host was asked');
    assert.ok(a[0]!.seq < b[0]!.seq && b[0]!.seq < up[0]!.seq, 'order: first mirror, second mirror, server');
    assert.equal(a[0]!.authorization, `Basic ${Buffer.from('cache-user:cache "pass"').toString('base64')}`);
    assert.ok(b[0]!.url.startsWith(`/v2/mirrored/${REPO}/manifests/latest`), `override_path kept the URL path: ${b[0]!.url}`);
    assert.equal(b[0]!.authorization, undefined, 'a header goes to its own host only');
    assert.equal(up[0]!.authorization, undefined, 'a header goes to its own host only');
  });

  it('tries IPv6 and IPv4 mirrors in file order, each with its own header', async () => {
    // Mixed on purpose: containerd 1.x orders hosts by the line they start on, and an IPv4 host among them
    // must keep its place too. Each mirror carries its own header, to see each goes to its own host only.
    const [a, b, c] = v6 as [Recorder, Recorder, Recorder];
    const order = [c, cacheA, a, b];
    const basic = (i: number): string => `Basic ${Buffer.from(`user${i}:pass`).toString('base64')}`;
    const reg = registry(name, {
      server: upstream.url,
      mirrors: order.map((r, i) => mirror(r.url, { auth: { kind: 'basic', username: `user${i}`, password: 'pass' } })),
    });
    await renderAndPull(reg, new Map(order.map((r) => [r.url, 'up'])), facts);
    const firsts = [...order, upstream].map((r) => manifestRequests(r)[0]);
    assert.ok(
      firsts.every((f) => f !== undefined),
      'every host was asked',
    );
    const seqs = firsts.map((f) => f.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((x, y) => x - y),
      'order: the mirrors as configured, then the server',
    );
    order.forEach((r, i) => assert.equal(manifestRequests(r)[0]!.authorization, basic(i)));
    assert.equal(manifestRequests(upstream)[0]!.authorization, undefined);
  });

  it('reads the copies of cluster-provided ca and client files: TLS with a client certificate to the mirror (issue 25, item 6)', async (t) => {
    if ((await tlsUnavailable()) !== undefined) return t.skip('no openssl');
    const pki = await makePki();
    const seen: string[] = [];
    const secure = await httpsServer(
      pki,
      (req, res) => {
        seen.push(req.url ?? '');
        res.writeHead(req.url === '/v2/' ? 200 : 404, { 'content-type': 'application/json' }).end('{}');
      },
      { host: '127.0.0.1', requireClientCert: true },
    );
    try {
      // Paths that exist only in a pod: containerd can succeed only through the copies in the hosts dir.
      const tls = { ca: ['/pod/secret/ca.crt'], client: [{ cert: '/pod/secret/tls.crt', key: '/pod/secret/tls.key' }], skipVerify: false };
      const reg = registry(name, { server: upstream.url, mirrors: [mirror(secure.url, { tls })] });
      const providedFiles = new Map([
        ['/pod/secret/ca.crt', fs.readFileSync(pki.caCert, 'utf8')],
        ['/pod/secret/tls.crt', fs.readFileSync(pki.clientCert, 'utf8')],
        ['/pod/secret/tls.key', fs.readFileSync(pki.clientKey, 'utf8')],
      ]);
      for (const [file, { content, mode }] of renderHostsTree(
        { ...agentConfig([reg]), hostsDir, providedFiles },
        new Map([[secure.url, 'up']]),
        facts,
      )) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, content, { mode });
      }
      await pull(daemon, hostsDir, `${name}/${REPO}:latest`);
      assert.ok(
        seen.some((url) => url.includes(`${REPO}/manifests/latest`)),
        `the mirror was reached over TLS with the copied ca and client pair: ${seen.join(', ')}`,
      );
    } finally {
      await secure.close();
      await pki.remove();
    }
  });
});
