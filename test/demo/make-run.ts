// `make run`: the agent doing its job in a sandbox, no root. A stand-in for the in-cluster cache answers
// `GET /v2/` on loopback; we take it away and bring it back, and the agent's own log lines tell the story.
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

const root = await mkdtemp(join(tmpdir(), 'cma-demo-'));
const hostsDir = join(root, 'certs.d');
const agentBin = new URL('../../bin/containerd-mirror-agent', import.meta.url).pathname;

function say(text: string): void {
  process.stdout.write(`\n\x1b[1m==> ${text}\x1b[0m\n`);
}

async function startCache(port = 0): Promise<Server> {
  const server = createServer((req, res) => {
    res.writeHead(req.url === '/v2/' ? 200 : 404, {
      'content-type': 'application/json',
      'docker-distribution-api-version': 'registry/2.0',
    });
    res.end('{}');
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  probe.close();
  return port;
}

async function waitForMode(listen: string, mode: 'mirror' | 'upstream'): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      const status = (await (await fetch(`http://${listen}/status`)).json()) as { registries: Array<{ mode: string }> };
      if (status.registries[0]?.mode === mode) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the agent did not reach mode ${mode}`);
}

async function showFile(): Promise<void> {
  const text = await readFile(join(hostsDir, 'docker.io', 'hosts.toml'), 'utf8');
  process.stdout.write(text.replace(/^/gm, '    | '));
}

let cache = await startCache();
const cachePort = (cache.address() as { port: number }).port;
const listen = `127.0.0.1:${await freePort()}`;
const configPath = join(root, 'mirrors.yaml');
await writeFile(
  configPath,
  `hostsDir: ${hostsDir}
probe: {interval: 1s, timeout: 500ms, failureThreshold: 2, successThreshold: 2}
registries:
  docker.io:
    mirrors:
      - url: http://127.0.0.1:${cachePort}
`,
);

say(`sandbox in ${root}; cache stand-in on http://127.0.0.1:${cachePort}`);
// `--containerd-config none`: the sandbox has no containerd to configure; hosts.toml is the whole story here.
const agent = spawn(
  agentBin,
  ['run', '--config', configPath, '--state-dir', join(root, 'state'), '--listen', listen, '--containerd-config', 'none'],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
createInterface({ input: agent.stdout }).on('line', (line) => {
  try {
    const entry = JSON.parse(line.replace(/^<\d>/, '')) as { time: string; level: string; msg: string };
    const level = entry.level.toUpperCase().padEnd(5);
    process.stdout.write(
      `  agent ${entry.time.slice(11, 23)} ${entry.level === 'info' ? level : `\x1b[33m${level}\x1b[0m`} ${entry.msg}\n`,
    );
  } catch {
    process.stdout.write(`  agent ${line}\n`);
  }
});

try {
  say(`agent started; status at http://${listen}/status`);
  await waitForMode(listen, 'mirror');
  say('the cache answers: docker.io goes through it');
  await showFile();

  say('taking the cache away (its port now refuses connections)');
  await new Promise<void>((resolve) => cache.close(() => resolve()));
  await waitForMode(listen, 'upstream');
  say('failover: docker.io is upstream-only, pulls skip the dead cache');
  await showFile();

  say('bringing the cache back');
  cache = await startCache(cachePort);
  await waitForMode(listen, 'mirror');
  say('restored: docker.io goes through the cache again');
  await showFile();

  say(`containerd-mirror-agent status --listen ${listen}`);
  const status = spawn(agentBin, ['status', '--listen', listen], { stdio: 'inherit' });
  await once(status, 'exit');
} finally {
  say('stopping (SIGTERM): the files stay as they are');
  agent.kill('SIGTERM');
  await once(agent, 'exit');
  cache.close();
  await rm(root, { recursive: true, force: true });
}
