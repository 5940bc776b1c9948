// The canary's verdict comes from containerd's requests only (issue 25, point 11): the agent's real listener,
// a CRI stand-in on a unix socket that does what containerd does on PullImage (one GET to the canary's
// listener, then a NOT_FOUND answer), and a local process flooding the same listener with canary-looking paths.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it, type TestContext } from 'node:test';
import { Canary, canaryRegistry, type CanaryResult } from '../../src/cri/canary.js';
import { fields, strings } from '../../src/cri/protobuf.js';
import { startHttpServer } from '../../src/observe/http.js';
import { createLogger } from '../../src/observe/logger.js';
import { createMetrics } from '../../src/observe/metrics.js';
import { agentStatus } from '../observe/fixtures.js';
import { h2Peer } from './peers.js';

const REPOSITORY = 'containerd-mirror-agent/canary';

/** The image reference of a PullImage request body (ImageSpec.image inside PullImageRequest.image). */
function pulledRef(body: Buffer): string {
  const spec = fields(body.subarray(5)).find((f) => f.number === 1)?.bytes ?? Buffer.alloc(0);
  return strings(spec, 1)[0] ?? '';
}

/**
 * One canary check on the agent's real listener, while a local process floods that listener with 150
 * canary-looking paths (both shapes, guessed tags), and then containerd asks for `containerdPath(tag)`.
 */
async function checkUnderFlood(t: TestContext, containerdPath: (tag: string) => string): Promise<CanaryResult & { guessed: number }> {
  const canaryRef: { current?: Canary } = {};
  const server = await startHttpServer({
    listen: '127.0.0.1:0',
    metrics: createMetrics({ version: '0' }),
    status: () => agentStatus(),
    healthy: () => true,
    ready: () => true,
    logger: createLogger({ destination: new PassThrough(), env: {} }),
    onRequest: (path) => canaryRef.current?.onRequest(path),
  });
  t.after(() => server.close());
  const registry = canaryRegistry(server.address)!;
  const get = async (path: string): Promise<number> => (await fetch(`http://${registry}${path}`)).status;
  let guessed = 0;
  const cri = await h2Peer(t, (stream) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const tag = pulledRef(Buffer.concat(chunks)).split(':').pop() ?? '';
      void (async () => {
        for (let i = 0; i < 150; i++) {
          const shape = i % 3 === 0 ? '/v2' : '/cma-canary';
          guessed += (await get(`${shape}/${REPOSITORY}/manifests/check-${i.toString(16).padStart(32, '0')}`)) === 404 ? 1 : 0;
        }
        guessed += (await get(`/cma-canary/${REPOSITORY}/manifests/${tag}x`)) === 404 ? 1 : 0;
        await get(containerdPath(tag));
        stream.respond(
          { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '5', 'grpc-message': 'not found' },
          { endStream: true },
        );
      })();
    });
  });
  canaryRef.current = new Canary(cri.socket, registry);
  return { ...(await canaryRef.current.check()), guessed };
}

describe('canary, fed only by containerd', () => {
  it('a local process flooding the listener neither fills a buffer nor hides containerd using the hosts.toml', async (t) => {
    const result = await checkUnderFlood(t, (tag) => `/cma-canary/${REPOSITORY}/manifests/${tag}`);
    assert.equal(result.guessed, 151, 'the flood reached the listener');
    assert.equal(result.hostsInEffect, true, result.detail);
  });

  it('nor makes containerd asking its default host look like anything else', async (t) => {
    const result = await checkUnderFlood(t, (tag) => `/v2/${REPOSITORY}/manifests/${tag}`);
    assert.equal(result.guessed, 151);
    assert.equal(result.hostsInEffect, false, result.detail);
    assert.match(result.detail, /from its default host, not through/);
  });
});
