// Just enough protobuf for the CRI image calls: length-delimited strings and nested messages out, and a
// field walker in. Hand-written so neither the agent nor the test bed needs a gRPC or protobuf package.

function varint(n: number): Buffer {
  const bytes: number[] = [];
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  bytes.push(n);
  return Buffer.from(bytes);
}

/** A length-delimited field (wire type 2): a string, bytes or an embedded message. */
export function field(number: number, value: string | Buffer): Buffer {
  const body = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([varint((number << 3) | 2), varint(body.length), body]);
}

export interface Field {
  number: number;
  /** Set for length-delimited fields. */
  bytes?: Buffer;
  /** Set for varint fields. */
  value?: number;
}

function readVarint(buf: Buffer, at: number): [number, number] {
  let result = 0;
  let scale = 1;
  for (;;) {
    const byte = buf[at++];
    if (byte === undefined) throw new Error('truncated protobuf varint');
    result += (byte & 0x7f) * scale;
    scale *= 128;
    if (byte < 0x80) return [result, at];
  }
}

/** Top-level fields of one message, in wire order. */
export function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let at = 0;
  while (at < buf.length) {
    const [key, next] = readVarint(buf, at);
    at = next;
    const number = Math.floor(key / 8);
    switch (key & 7) {
      case 0: {
        const [value, after] = readVarint(buf, at);
        out.push({ number, value });
        at = after;
        break;
      }
      case 1:
        at += 8;
        break;
      case 2: {
        const [length, start] = readVarint(buf, at);
        out.push({ number, bytes: buf.subarray(start, start + length) });
        at = start + length;
        break;
      }
      case 5:
        at += 4;
        break;
      default:
        throw new Error(`unsupported protobuf wire type ${key & 7}`);
    }
  }
  return out;
}

export function strings(buf: Buffer, number: number): string[] {
  return fields(buf)
    .filter((f) => f.number === number && f.bytes)
    .map((f) => f.bytes?.toString('utf8') ?? '');
}
