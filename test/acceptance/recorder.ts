// A TCP listener that only counts who connects: the address containerd would fall back to if it ignored our
// hosts.toml. Raw TCP so an https attempt (a TLS ClientHello) is counted as surely as plain http.
import { createServer, type AddressInfo } from 'node:net';

export interface Recorder {
  readonly address: string;
  connections(): number;
  close(): Promise<void>;
}

export async function startRecorder(host: string): Promise<Recorder> {
  let count = 0;
  const server = createServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    address: `${host}:${port}`,
    connections: () => count,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
