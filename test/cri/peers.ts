// Stand-ins for containerd's CRI socket: a real node:http2 server, or a raw socket server that writes whatever
// bytes a test hands it, each on a unix socket in a temp dir of the test, closed (connections too) when it ends.
import { createServer as createH2Server, type ServerHttp2Stream } from 'node:http2';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { unaryCall, type CallOptions } from '../../src/cri/grpc.js';
import { field } from '../../src/cri/protobuf.js';
import { onTestEnd, tempDir } from '../helpers/temp-dir.js';

export interface Peer {
  /** The unix socket path to call. */
  socket: string;
}

async function listenUnix(t: TestContext, server: Server, sockets: Set<{ destroy(): void }>): Promise<Peer> {
  const socket = join(await tempDir(t, 'cri-peer'), 'cri.sock');
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, resolve);
  });
  onTestEnd(t, async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return { socket };
}

/** An HTTP/2 server answering each call with `onStream`. */
export async function h2Peer(t: TestContext, onStream: (stream: ServerHttp2Stream) => void): Promise<Peer> {
  const server = createH2Server();
  const sessions = new Set<{ destroy(): void }>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('error', () => undefined);
    session.on('close', () => sessions.delete(session));
  });
  server.on('stream', (stream) => {
    stream.on('error', () => undefined);
    onStream(stream);
  });
  return listenUnix(t, server, sessions);
}

/** A socket server that gives every connection to `onConnection` (after the client's first bytes). */
export async function rawPeer(t: TestContext, onConnection: (socket: Socket) => void): Promise<Peer> {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    socket.once('data', () => onConnection(socket));
  });
  return listenUnix(t, server, sockets);
}

function h2Frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head.writeUInt8(type, 3);
  head.writeUInt8(flags, 4);
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, payload]);
}

/** HPACK "literal header field without indexing, new name" (RFC 7541 6.2.2), no Huffman coding. */
function literal(name: string, value: string): Buffer {
  const n = Buffer.from(name);
  const v = Buffer.from(value);
  if (n.length > 126 || v.length > 126) throw new Error('short header fields only');
  return Buffer.concat([Buffer.from([0, n.length]), n, Buffer.from([v.length]), v]);
}

const END_STREAM = 0x1;
const END_HEADERS = 0x4;

/**
 * Everything a server writes for one successful unary call on stream 1, as bytes: SETTINGS, the ACK of the
 * client's, response HEADERS (`:status 200` is HPACK static index 8), one gRPC message, trailers.
 */
export function unaryAnswerBytes(message: Buffer, trailers: Array<[string, string]> = [['grpc-status', '0']]): Buffer {
  const grpc = Buffer.concat([Buffer.from([0]), Buffer.alloc(4), message]);
  grpc.writeUInt32BE(message.length, 1);
  return Buffer.concat([
    h2Frame(4, 0, 0, Buffer.alloc(0)),
    h2Frame(4, 1, 0, Buffer.alloc(0)),
    h2Frame(1, END_HEADERS, 1, Buffer.concat([Buffer.from([0x88]), literal('content-type', 'application/grpc')])),
    h2Frame(0, 0, 1, grpc),
    h2Frame(1, END_HEADERS | END_STREAM, 1, Buffer.concat(trailers.map(([n, v]) => literal(n, v)))),
  ]);
}

const METHOD = '/runtime.v1.ImageService/PullImage';
/** A PullImage answer: the image id. */
export const ID = field(1, 'sha256:0123');

/** Process-wide failures while `body` runs: what would have killed the agent. */
export async function escaped(body: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const record = (err: unknown): void => void seen.push(err);
  process.on('uncaughtException', record);
  process.on('unhandledRejection', record);
  try {
    await body();
    // An event after the call settled still gets its turn.
    await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    process.off('uncaughtException', record);
    process.off('unhandledRejection', record);
  }
  return seen;
}

/** The call's outcome: its answer or its error, which must be an Error. */
export async function settle(peer: Peer, options: Partial<CallOptions> = {}): Promise<Buffer | Error> {
  try {
    return await unaryCall(peer.socket, METHOD, field(1, 'x'), { deadlineMs: 5_000, ...options });
  } catch (err) {
    assert.ok(err instanceof Error, `rejected with a non-Error: ${String(err)}`);
    return err;
  }
}
