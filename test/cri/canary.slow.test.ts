// The canary's CRI call, bounded in time and bytes, in the running agent (issue 25, point 10): its CRI socket is
// a real HTTP/2 peer on a unix socket that says nothing, trickles a byte a second, or floods. SIGTERM ends a
// call in progress at once; a flood ends the call at gRPC's 4 MiB limit and is reported as the reason.
import assert from 'node:assert/strict';
import type { ServerHttp2Stream } from 'node:http2';
import { describe, it } from 'node:test';
import { PULL_TIMEOUT_MS } from '../../src/cri/canary.js';
import { startAgentFixture } from '../helpers/agent-fixture.js';
import { h2Peer } from './peers.js';

const config = (hostsDir: string): string =>
  `hostsDir: ${hostsDir}\nregistries:\n  quay.io:\n    mirrors:\n      - {url: "http://127.0.0.1:9", probe: false}\n`;

const drip = (stream: ServerHttp2Stream): void => {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
  const timer = setInterval(() => stream.write(Buffer.from([0])), 1_000);
  stream.on('close', () => clearInterval(timer));
};

describe('the canary call in the running agent, against a hostile CRI socket', () => {
  for (const [kind, answer] of [
    ['silent', (): void => undefined],
    ['trickling one byte a second', drip],
  ] as const) {
    it(`SIGTERM during a call to a ${kind} CRI socket exits 0 without waiting out the call's deadline`, { timeout: 120_000 }, async (t) => {
      let asked!: () => void;
      const calling = new Promise<void>((resolve) => (asked = resolve));
      const cri = await h2Peer(t, (stream) => {
        answer(stream);
        asked();
      });
      const { agent } = await startAgentFixture(t, config, { env: { CMA_CONTAINERD_SOCKET: cri.socket } });
      await calling;
      const sent = performance.now();
      assert.equal(await agent.stop('SIGTERM'), 0);
      const waited = performance.now() - sent;
      assert.ok(waited < PULL_TIMEOUT_MS, `SIGTERM took ${Math.round(waited)} ms: it waited for the canary's deadline`);
      assert.ok(agent.logs().some((l) => l.event === 'stopped'));
    });
  }

  it('a flooding CRI socket ends the call at 4 MiB, reported as why hosts-in-effect is unknown', { timeout: 120_000 }, async (t) => {
    const chunk = Buffer.alloc(1 << 20, 0x61);
    const cri = await h2Peer(t, (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
      const flood = (): void => {
        while (!stream.destroyed) if (!stream.write(chunk)) return void stream.once('drain', flood);
      };
      flood();
    });
    const { agent } = await startAgentFixture(t, config, { env: { CMA_CONTAINERD_SOCKET: cri.socket } });
    const status = await agent.waitForStatus('the canary verdict', (s) => s.containerd.checkedAt !== undefined, 60_000);
    assert.equal(status.containerd.hostsInEffect, null);
    assert.match(status.containerd.reason ?? '', /answer larger than 4194304 bytes/);
    assert.equal(await agent.stop('SIGTERM'), 0);
  });
});
