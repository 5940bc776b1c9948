import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fdCountUnavailable } from './fds.js';
import { probeOnce } from '../../src/health/probe.js';
import { assertDownAtDeadline, assertNoLeak, NO_TLS, PROBES, probeWithinDeadline } from './probe-checks.js';
import {
  closeServer,
  hangServer,
  httpServer,
  httpsServer,
  makePki,
  refusedPort,
  statusHandler,
  tlsUnavailable,
  type TestPki,
  type TestServer,
} from '../helpers/servers.js';

describe('probeOnce classifies each kind of mirror', () => {
  const servers: TestServer[] = [];
  const serve = async (s: Promise<TestServer>): Promise<string> => {
    const server = await s;
    servers.push(server);
    return server.url;
  };
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  for (const status of [200, 401]) {
    it(`HTTP ${status} is up`, async () => {
      const result = await probeWithinDeadline({ url: await serve(httpServer(status)), tls: NO_TLS });
      assert.equal(result.ok, true);
      assert.equal(result.status, status);
      assert.equal(result.error, undefined);
    });
  }

  for (const status of [404, 500, 301]) {
    it(`HTTP ${status} is down`, async () => {
      const result = await probeWithinDeadline({ url: await serve(httpServer(status)), tls: NO_TLS });
      assert.equal(result.ok, false);
      assert.equal(result.status, status);
      assert.equal(result.error, `HTTP ${status}`);
    });
  }

  it('probes /v2/ under the mirror URL path prefix', async () => {
    const url = await serve(
      httpServer((req, res) => {
        res.writeHead(req.url === '/cache/v2/' ? 200 : 404).end();
      }),
    );
    assert.equal((await probeWithinDeadline({ url: `${url}/cache`, tls: NO_TLS })).ok, true);
    assert.equal((await probeWithinDeadline({ url: `${url}/cache/`, tls: NO_TLS })).ok, true);
    assert.equal((await probeWithinDeadline({ url, tls: NO_TLS })).status, 404);
  });

  it('probes an IPv6 loopback mirror', async (t) => {
    let url: string;
    try {
      url = await serve(httpServer(200, { host: '::1' }));
    } catch {
      return t.skip('no IPv6 loopback here');
    }
    assert.equal((await probeWithinDeadline({ url, tls: NO_TLS })).ok, true);
  });

  it('a server that accepts and never answers is down at the deadline', async () => {
    const result = await probeWithinDeadline({ url: await serve(hangServer()), tls: NO_TLS });
    assertDownAtDeadline(result, /^no response after 500ms$/);
  });

  it("a timeout past Node's timer limit is not a 1 ms deadline: a mirror answering in 50 ms is up", async () => {
    const url = await serve(httpServer((req, res) => setTimeout(() => statusHandler(200)(req, res), 50)));
    const result = await probeOnce({ url, tls: NO_TLS }, 2 ** 31 + 1000);
    assert.equal(result.ok, true, result.error);
  });

  it('a server that sends headers and then stalls the body is down at the deadline', async () => {
    const url = await serve(
      httpServer((_req, res) => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('{');
      }),
    );
    const result = await probeWithinDeadline({ url, tls: NO_TLS });
    assertDownAtDeadline(result, /^body not complete after 500ms$/);
  });

  it('an endless body is read no further than a bound: the status decides', async () => {
    const url = await serve(
      httpServer((_req, res) => {
        res.writeHead(200);
        const chunk = Buffer.alloc(16 * 1024, 'x');
        const pump = (): void => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pump);
        };
        pump();
      }),
    );
    const result = await probeWithinDeadline({ url, tls: NO_TLS });
    assert.equal(result.ok, true);
    assert.equal(result.status, 200);
  });

  it('a server that accepts and closes is down', async () => {
    const result = await probeWithinDeadline({ url: await serve(closeServer()), tls: NO_TLS });
    assert.equal(result.ok, false);
    assert.match(result.error ?? '', /closed by server|ECONNRESET/);
  });

  it('a refused port is down', async () => {
    const result = await probeWithinDeadline({ url: await serve(refusedPort()), tls: NO_TLS });
    assert.equal(result.ok, false);
    assert.equal(result.error, 'connect ECONNREFUSED');
  });

  it('an unresolvable host is down', async () => {
    const result = await probeWithinDeadline({ url: 'http://mirror.invalid', tls: NO_TLS });
    assert.equal(result.ok, false);
    assert.match(result.error ?? '', /^getaddrinfo E/);
  });

  it('never puts URL credentials in an error', async () => {
    for (const url of [await serve(refusedPort()), await serve(httpServer(500)), await serve(hangServer())]) {
      const withUserinfo = url.replace('http://', 'http://admin:s3cr3t-pw@');
      const result = await probeWithinDeadline({ url: withUserinfo, tls: NO_TLS });
      assert.equal(result.ok, false);
      assert.doesNotMatch(JSON.stringify(result), /s3cr3t-pw|admin/);
    }
  });

  it('a missing ca file is down and names the file', async () => {
    const result = await probeWithinDeadline({ url: await serve(httpServer(200)), tls: { ...NO_TLS, ca: ['/nonexistent/ca.pem'] } });
    assert.equal(result.ok, false);
    assert.equal(result.error, 'cannot read ca /nonexistent/ca.pem: ENOENT');
  });
});

describe('probeOnce over TLS', () => {
  let pki: TestPki | undefined;
  let skipReason: string | undefined;
  const servers: TestServer[] = [];
  before(async () => {
    skipReason = await tlsUnavailable();
    if (skipReason === undefined) pki = await makePki();
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await pki?.remove();
  });
  const tlsUrl = async (requireClientCert = false): Promise<string | undefined> => {
    if (pki === undefined) return undefined;
    const server = await httpsServer(pki, 200, { requireClientCert });
    servers.push(server);
    return server.url;
  };

  it('with the CA configured: up', async (t) => {
    const url = await tlsUrl();
    if (url === undefined || pki === undefined) return t.skip(skipReason);
    const result = await probeWithinDeadline({ url, tls: { ...NO_TLS, ca: [pki.caCert] } });
    assert.equal(result.ok, true, result.error);
  });

  it('without the CA: down with a TLS error', async (t) => {
    const url = await tlsUrl();
    if (url === undefined) return t.skip(skipReason);
    const result = await probeWithinDeadline({ url, tls: NO_TLS });
    assert.equal(result.ok, false);
    assert.match(result.error ?? '', /^TLS /);
  });

  it('skipVerify without the CA: up', async (t) => {
    const url = await tlsUrl();
    if (url === undefined) return t.skip(skipReason);
    const result = await probeWithinDeadline({ url, tls: { ...NO_TLS, skipVerify: true } });
    assert.equal(result.ok, true, result.error);
  });

  it('a server demanding a client certificate: down without it, up with it', async (t) => {
    const url = await tlsUrl(true);
    if (url === undefined || pki === undefined) return t.skip(skipReason);
    const withoutCert = await probeWithinDeadline({ url, tls: { ...NO_TLS, ca: [pki.caCert] } });
    assert.equal(withoutCert.ok, false);
    const client = [{ cert: pki.clientCert, key: pki.clientKey }];
    const withCert = await probeWithinDeadline({ url, tls: { ...NO_TLS, ca: [pki.caCert], client } });
    assert.equal(withCert.ok, true, withCert.error);
  });

  it(`${PROBES} verified and ${PROBES} failing TLS probes leak no file descriptor`, async (t) => {
    if (fdCountUnavailable !== false) return t.skip(fdCountUnavailable);
    const url = await tlsUrl();
    if (url === undefined || pki === undefined) return t.skip(skipReason);
    await assertNoLeak(url, { ...NO_TLS, ca: [pki.caCert] }, true);
    await assertNoLeak(url, NO_TLS, false);
  });
});

describe('probeOnce leaks no file descriptor', { skip: fdCountUnavailable }, () => {
  const kinds: Array<{ name: string; make: () => Promise<TestServer>; ok: boolean }> = [
    { name: '200', make: () => httpServer(200), ok: true },
    { name: '500', make: () => httpServer(500), ok: false },
    { name: 'hang', make: () => hangServer(), ok: false },
    { name: 'close', make: () => closeServer(), ok: false },
    { name: 'refused', make: () => refusedPort(), ok: false },
  ];

  for (const kind of kinds) {
    it(`${PROBES} probes of a ${kind.name} server`, async () => {
      const server = await kind.make();
      try {
        await assertNoLeak(server.url, NO_TLS, kind.ok);
      } finally {
        await server.close();
      }
    });
  }
});
