// The gRPC client against peers that take their time or say anything: a peer trickling its answer a byte at a
// time gets no more than the call's deadline, and 300 random and mutated answers from real peers (an HTTP/2
// server saying odd things, a raw socket writing junk or a valid answer with bytes changed) each settle the
// call with an answer or an Error, with nothing thrown from an http2 event. Slow: a junk peer that stops mid-frame
// is left for the deadline, which node:http2 never notices the end of (400 ms here).
import assert from 'node:assert/strict';
import { constants, type ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { GrpcError, NO_STATUS } from '../../src/cri/grpc.js';
import { strings } from '../../src/cri/protobuf.js';
import { escaped, h2Peer, ID, rawPeer, settle, unaryAnswerBytes } from './peers.js';

describe('gRPC over a unix socket, against slow and random peers', () => {
  it('a peer trickling one byte a second gets no more than the deadline', { timeout: 60_000 }, async (t) => {
    const peer = await h2Peer(t, (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
      const drip = setInterval(() => (stream.destroyed ? clearInterval(drip) : stream.write(Buffer.from([0]))), 1_000);
      stream.on('close', () => clearInterval(drip));
    });
    const outcome = await settle(peer, { deadlineMs: 2_500 });
    assert.ok(outcome instanceof GrpcError && outcome.code === NO_STATUS, String(outcome));
    assert.match(outcome.message, /no complete answer within 2500 ms/);
  });

  it('fuzz: 300 random and mutated answers from real peers settle the call, and nothing escapes', async (t) => {
    // Each connection takes the next case: the peers live for the whole run, cases come in order.
    const queue: Array<(target: { raw?: Socket; stream?: ServerHttp2Stream }) => void> = [];
    const raw = await rawPeer(t, (socket) => queue.shift()?.({ raw: socket }));
    const h2 = await h2Peer(t, (stream) => queue.shift()?.({ stream }));
    const valid = unaryAnswerBytes(ID, [
      ['grpc-status', '0'],
      ['grpc-message', 'ok'],
    ]);
    const bytes = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));
    const mutated = fc
      .tuple(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.nat(valid.length),
      )
      .map(([flips, cut]) => {
        const copy = Buffer.from(valid);
        for (const [at, value] of flips) copy[at] = value;
        return copy.subarray(0, Math.max(cut, 9));
      });
    const headerText = fc.stringMatching(/^[ -~]{0,40}$/);
    const h2Case = fc.record({
      status: fc.oneof(fc.constantFrom('0', '2', '13', '99', '-1', '', '1e3', '0x1'), headerText),
      message: fc.oneof(headerText, fc.constantFrom('%', '%E0%A4%A', '%zz', '%FF%FE', '%C0%80')),
      trailersOnly: fc.boolean(),
      body: fc.array(
        fc.oneof(
          bytes,
          bytes.map((b) => Buffer.concat([Buffer.from([0, 0, 0, 0, b.length]), b])),
        ),
        { maxLength: 3 },
      ),
      end: fc.constantFrom('trailers', 'end', 'rst', 'destroy'),
      rstCode: fc.constantFrom(constants.NGHTTP2_CANCEL, constants.NGHTTP2_PROTOCOL_ERROR, constants.NGHTTP2_INTERNAL_ERROR),
    });
    const rawCase = fc.record({ bytes: fc.oneof(bytes, mutated), end: fc.constantFrom('end', 'destroy') });

    const seen = await escaped(async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.record({ h2: h2Case }), fc.record({ raw: rawCase })), async (c) => {
          queue.length = 0;
          queue.push(({ raw: socket, stream }) => {
            if ('raw' in c && socket !== undefined) {
              socket.write(c.raw.bytes);
              if (c.raw.end === 'end') socket.end();
              else socket.destroy();
              return;
            }
            if (!('h2' in c) || stream === undefined) return;
            const s = c.h2;
            const grpc = { 'grpc-status': s.status, 'grpc-message': s.message };
            try {
              if (s.trailersOnly)
                return stream.respond({ ':status': 200, 'content-type': 'application/grpc', ...grpc }, { endStream: true });
              stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: s.end === 'trailers' });
              stream.on('wantTrailers', () => stream.sendTrailers(grpc));
              for (const chunk of s.body) stream.write(chunk);
              if (s.end === 'rst') stream.close(s.rstCode);
              else if (s.end === 'destroy') stream.session?.destroy();
              else stream.end();
            } catch {
              // node:http2 refuses some header values itself: the peer then resets the stream.
              stream.close(constants.NGHTTP2_INTERNAL_ERROR);
            }
          });
          const outcome = await settle('raw' in c ? raw : h2, { maxBytes: 64, deadlineMs: 400 });
          if (outcome instanceof Error) return;
          assert.ok(outcome.length <= 64);
          // What cri-client reads of an answer: the protobuf walker ends with fields or an Error, whatever the bytes.
          try {
            strings(outcome, 1);
          } catch (err) {
            assert.ok(err instanceof Error);
          }
        }),
        { numRuns: 300 },
      );
    });
    assert.deepEqual(seen, []);
  });
});
