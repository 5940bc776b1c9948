// The gRPC client survives any bytes a socket sends: real peers on unix sockets (an HTTP/2 server saying odd
// things, a raw socket writing junk or a mutated valid answer), and nothing thrown escapes the call.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GrpcError, MAX_RESPONSE_BYTES, NO_STATUS } from '../../src/cri/grpc.js';
import { escaped, h2Peer, ID, rawPeer, settle, unaryAnswerBytes } from './peers.js';

describe('gRPC over a unix socket, against hostile peers', () => {
  it('reads a hand-written answer: the bytes the fuzz cases mutate are a valid answer', async (t) => {
    const peer = await rawPeer(t, (socket) => socket.write(unaryAnswerBytes(ID)));
    assert.deepEqual(await settle(peer), ID);
  });

  it('a malformed % escape in grpc-message is reported as sent, never thrown from the http2 event', async (t) => {
    const peer = await h2Peer(t, (stream) =>
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '13', 'grpc-message': 'bad %E0%A4%A and 100%' },
        { endStream: true },
      ),
    );
    const seen = await escaped(async () => {
      const outcome = await settle(peer);
      assert.ok(outcome instanceof GrpcError, String(outcome));
      assert.equal(outcome.code, 13);
      assert.match(outcome.message, /bad %E0%A4%A and 100%/);
    });
    assert.deepEqual(seen, []);
  });

  it('a grpc-status that is not a number is no status, not a code the canary would trust', async (t) => {
    const peer = await h2Peer(t, (stream) =>
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': 'five' }, { endStream: true }),
    );
    const outcome = await settle(peer);
    assert.ok(outcome instanceof GrpcError && outcome.code === -1, String(outcome));
  });

  it("a flooding peer ends the call at 4 MiB (gRPC's default limit), not buffered without bound", { timeout: 60_000 }, async (t) => {
    const chunk = Buffer.alloc(1 << 20, 0x61);
    let written = 0;
    const peer = await h2Peer(t, (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
      const flood = (): void => {
        while (!stream.destroyed) {
          written += chunk.length;
          if (!stream.write(chunk)) return void stream.once('drain', flood);
        }
      };
      flood();
    });
    const outcome = await settle(peer, { deadlineMs: 600_000 });
    assert.ok(outcome instanceof GrpcError && outcome.code === NO_STATUS, String(outcome));
    assert.match(outcome.message, /answer larger than 4194304 bytes/);
    assert.ok(written > MAX_RESPONSE_BYTES, `the peer offered ${written} bytes`);
  });

  it('a silent peer: the call ends when its signal aborts, whatever its deadline', { timeout: 60_000 }, async (t) => {
    let asked!: () => void;
    const seen = new Promise<void>((resolve) => (asked = resolve));
    const peer = await h2Peer(t, () => asked());
    const stop = new AbortController();
    const call = settle(peer, { deadlineMs: 600_000, signal: stop.signal });
    await seen;
    stop.abort();
    const outcome = await call;
    assert.ok(outcome instanceof GrpcError && outcome.code === NO_STATUS, String(outcome));
    assert.match(outcome.message, /cancelled/);
  });
});
