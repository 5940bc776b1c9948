// A unary gRPC call over containerd's unix socket with node:http2: a POST of one 5-byte-prefixed message,
// the answer's status read from the `grpc-status` trailer (or header, for a trailers-only error). Enough for
// the agent's CRI canary and the test bed, without a gRPC dependency.
// Whatever the socket sends, the call settles once, within its deadline, holding at most `maxBytes` of answer,
// and nothing escapes it: http2 events run outside the promise, so a throw there would end the process.
import { connect as connectUnix } from 'node:net';

/** gRPC's own default limit on a received message. */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** The code of a call that got no status from the peer: refused, cut, too slow, too large, cancelled, unreadable. */
export const NO_STATUS = -1;

export class GrpcError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    detail: string,
  ) {
    super(`${method}: grpc-status ${code}: ${detail}`);
  }
}

export interface CallOptions {
  /** The whole call, connect to last byte (a trickling peer gets no more); also sent as `grpc-timeout`. */
  deadlineMs: number;
  /** The most response bytes kept (default MAX_RESPONSE_BYTES): a flooding peer gets the call ended. */
  maxBytes?: number;
  /** Ends the call at once (the agent stopping). */
  signal?: AbortSignal;
}

function frame(message: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

function unframe(body: Buffer): Buffer {
  if (body.length < 5) return Buffer.alloc(0);
  return body.subarray(5, 5 + body.readUInt32BE(1));
}

/** `grpc-message` is percent-encoded (gRPC over HTTP/2); a malformed escape is shown as sent. */
function decodeMessage(message: string | string[] | undefined): string {
  const text = typeof message === 'string' ? message : '';
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

type Headers = Record<string, string | string[] | undefined>;

export async function unaryCall(socket: string, method: string, request: Buffer, options: CallOptions): Promise<Buffer> {
  // Loaded at the first call, not at start: compiling node:http2 took 26 ms of the agent's boot (before READY),
  // and the first canary pull comes after READY, on nodes that have a containerd socket.
  const { connect, constants } = await import('node:http2');
  const maxBytes = options.maxBytes ?? MAX_RESPONSE_BYTES;
  return new Promise<Buffer>((resolve, reject) => {
    let settled = false;
    const session = connect('http://localhost', { createConnection: () => connectUnix(socket), settings: { enablePush: false } });
    const finish = (err: Error | undefined, answer?: Buffer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      options.signal?.removeEventListener('abort', cancel);
      // destroy, not close: a graceful close waits for a peer that may never answer.
      session.destroy();
      if (err === undefined) resolve(answer ?? Buffer.alloc(0));
      else reject(err);
    };
    const fail = (detail: string): void => finish(new GrpcError(method, NO_STATUS, detail));
    const deadline = setTimeout(() => fail(`no complete answer within ${options.deadlineMs} ms`), options.deadlineMs);
    const cancel = (): void => fail('cancelled');
    // Errors after the call settled (a reset socket, a second GOAWAY) end nothing: listened to for good.
    session.on('error', (err: Error) => finish(err));
    if (options.signal?.aborted === true) return cancel();
    options.signal?.addEventListener('abort', cancel, { once: true });
    try {
      const stream = session.request({
        [constants.HTTP2_HEADER_METHOD]: 'POST',
        [constants.HTTP2_HEADER_PATH]: method,
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-timeout': `${options.deadlineMs}m`,
      });
      const chunks: Buffer[] = [];
      let received = 0;
      let status: number | undefined;
      let detail = '';
      const takeStatus = (headers: Headers): void => {
        const code = headers['grpc-status'];
        if (code === undefined) return;
        status = typeof code === 'string' && /^\d{1,2}$/.test(code) ? Number(code) : NO_STATUS;
        detail = status === NO_STATUS ? 'the peer sent a malformed grpc-status' : decodeMessage(headers['grpc-message']);
      };
      stream.on('response', takeStatus);
      stream.on('trailers', takeStatus);
      stream.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > maxBytes + 5) fail(`answer larger than ${maxBytes} bytes`);
        else chunks.push(chunk);
      });
      stream.on('error', (err: Error) => finish(err));
      stream.on('close', () => {
        if (status === undefined) fail(`stream closed without grpc-status (rst ${stream.rstCode})`);
        else if (status !== 0) finish(new GrpcError(method, status, detail));
        else finish(undefined, unframe(Buffer.concat(chunks)));
      });
      stream.end(frame(request));
    } catch (err) {
      finish(err as Error);
    }
  });
}
