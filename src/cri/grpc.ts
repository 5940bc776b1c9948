// A unary gRPC call over containerd's unix socket with node:http2: a POST of one 5-byte-prefixed message,
// the answer's status read from the `grpc-status` trailer (or header, for a trailers-only error). Enough for
// the agent's CRI canary and the test bed, without a gRPC dependency.
import { connect as connectUnix } from 'node:net';

export class GrpcError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    detail: string,
  ) {
    super(`${method}: grpc-status ${code}: ${detail}`);
  }
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

export async function unaryCall(socket: string, method: string, request: Buffer, timeoutMs: number): Promise<Buffer> {
  // Loaded at the first call, not at start: compiling node:http2 took 26 ms of the agent's boot (before READY),
  // and the first canary pull comes after READY, on nodes that have a containerd socket.
  const { connect, constants } = await import('node:http2');
  const session = connect('http://localhost', { createConnection: () => connectUnix(socket) });
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      session.once('error', reject);
      const stream = session.request({
        [constants.HTTP2_HEADER_METHOD]: 'POST',
        [constants.HTTP2_HEADER_PATH]: method,
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-timeout': `${timeoutMs}m`,
      });
      stream.setTimeout(timeoutMs + 5_000, () => stream.close(constants.NGHTTP2_CANCEL));
      const chunks: Buffer[] = [];
      let status: number | undefined;
      let detail = '';
      const takeStatus = (headers: Record<string, string | string[] | undefined>): void => {
        const code = headers['grpc-status'];
        if (typeof code === 'string') {
          status = Number(code);
          const message = headers['grpc-message'];
          detail = decodeURIComponent(typeof message === 'string' ? message : '');
        }
      };
      stream.on('response', takeStatus);
      stream.on('trailers', takeStatus);
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', reject);
      stream.on('close', () => {
        if (status === undefined) reject(new GrpcError(method, -1, `stream closed without grpc-status (rst ${stream.rstCode})`));
        else if (status !== 0) reject(new GrpcError(method, status, detail));
        else resolve(unframe(Buffer.concat(chunks)));
      });
      stream.end(frame(request));
    });
  } finally {
    session.close();
  }
}
