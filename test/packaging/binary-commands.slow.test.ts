// Every command of the packaged single executable, run as an operator runs it on a node (issue 22: `status`
// answered "WebAssembly is not defined" there, because the executable runs V8 in lite mode, which has no
// WebAssembly, and fetch()'s HTTP parser needs it; `doctor` then said "No problems found"). CMA_AGENT_BIN
// names another executable to test; the default is the one `make binary` builds.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoPath } from './tools.js';
import { freeLoopbackPort, waitUntil } from '../helpers/agent-process.js';
import { tempDirSync } from '../helpers/temp-dir.js';

const EXE = process.env.CMA_AGENT_BIN ?? repoPath('build/bin/containerd-mirror-agent');
// Never the machine's containerd: the canary has no socket to ask, and config.toml is left alone.
const ENV = { ...process.env, CMA_CONTAINERD_SOCKET: '/nonexistent/containerd.sock', CMA_CONTAINERD_CONFIG: 'none' };

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the executable without blocking this process, which serves the mirror the agent probes. */
function exe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(EXE, args, { env: { ...ENV, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

describe("the packaged executable's commands", { skip: existsSync(EXE) ? false : `no ${EXE} (run \`make binary\`)` }, () => {
  it('validate, render, apply, run with status and doctor, restore and sync all work', async (t) => {
    const dir = tempDirSync(t, 'binary-commands');
    const mirror = createServer((_req, res) => res.writeHead(200, { 'docker-distribution-api-version': 'registry/2.0' }).end('{}'));
    mirror.listen(0, '127.0.0.1');
    await once(mirror, 'listening');
    t.after(() => mirror.close());
    const mirrorUrl = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}`;
    const hostsDir = join(dir, 'certs.d');
    const state = ['--state-dir', join(dir, 'state')];
    const config = join(dir, 'config.yaml');
    writeFileSync(config, `hostsDir: ${hostsDir}\nregistries:\n  docker.io:\n    mirrors:\n      - url: ${mirrorUrl}\n`);
    const hostsToml = join(hostsDir, 'docker.io', 'hosts.toml');

    const validate = await exe(['validate', '--config', config]);
    assert.equal(validate.code, 0, validate.stderr);
    const render = await exe(['render', '--config', config, '--assume-mirrors', 'up']);
    assert.equal(render.code, 0, render.stderr);
    assert.ok(render.stdout.includes(`[host."${mirrorUrl}"]`), render.stdout);
    const apply = await exe(['apply', '--config', config, ...state]);
    assert.equal(apply.code, 0, apply.stderr);
    assert.ok(readFileSync(hostsToml, 'utf8').includes(mirrorUrl));

    const listen = `127.0.0.1:${await freeLoopbackPort()}`;
    const agent = spawn(EXE, ['run', '--config', config, ...state, '--listen', listen], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = once(agent, 'exit');
    t.after(() => agent.kill('SIGKILL'));
    const status = await waitUntil(`\`status --listen ${listen}\` to say ready`, async () => {
      const r = await exe(['status', '--listen', listen, '--json', '--wait', '0']);
      return r.code === 0 && (JSON.parse(r.stdout) as { ready: boolean }).ready ? r : undefined;
    });
    assert.equal(status.stderr, '');
    const table = await exe(['status', '--listen', listen]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /: ready/);
    const doctor = await exe(['doctor', '--config', config, ...state], { CMA_LISTEN: listen });
    assert.doesNotMatch(doctor.stdout, /agent is not running|agent is not ready/, doctor.stdout);
    assert.match(doctor.stdout, /hosts in effect: not checked yet by the running agent/);
    agent.kill('SIGTERM');
    assert.deepEqual(await exited, [0, null]);
    const doctorAlone = await exe(['doctor', '--config', config, ...state], { CMA_LISTEN: listen });
    assert.equal(doctorAlone.code, 1);
    assert.match(doctorAlone.stdout, /the agent is not running or does not answer \(.*no agent answers at .*ECONNREFUSED/);

    const restore = await exe(['restore', '--config', config, ...state]);
    assert.equal(restore.code, 0, restore.stderr);
    assert.equal(existsSync(hostsToml), false);

    const from = join(dir, 'configmap');
    mkdirSync(from);
    writeFileSync(join(from, 'config.yaml'), 'registries: {}\n');
    const to = join(dir, 'cluster.d');
    const sync = await exe(['sync', '--from', from, '--to', to, '--once', '--listen', `127.0.0.1:${await freeLoopbackPort()}`]);
    assert.equal(sync.code, 0, sync.stderr);
    assert.ok(readdirSync(to).includes('config.yaml'), readdirSync(to).join(' '));
  });

  it('is named after the agent, not "MainThread" (Node 24): /proc/PID/comm is what the journal\'s _COMM and pgrep read', async (t) => {
    const dir = tempDirSync(t, 'binary-comm');
    const config = join(dir, 'config.yaml');
    writeFileSync(config, `hostsDir: ${join(dir, 'certs.d')}\nregistries: {}\n`);
    const listen = `127.0.0.1:${await freeLoopbackPort()}`;
    const agent = spawn(EXE, ['run', '--config', config, '--state-dir', join(dir, 'state'), '--listen', listen], {
      env: ENV,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = once(agent, 'exit');
    t.after(() => agent.kill('SIGKILL'));
    let out = '';
    agent.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    // Before its own code runs the kernel names it after the file (the same 15 characters): wait for a log line.
    await waitUntil('the agent to log that it started', () => (out.includes('"event":"started"') ? true : undefined));
    assert.equal(readFileSync(`/proc/${agent.pid!}/comm`, 'utf8'), 'containerd-mirr\n');
    assert.match(readFileSync(`/proc/${agent.pid!}/cmdline`, 'utf8'), /^containerd-mirror-agent run --config /);
    agent.kill('SIGTERM');
    await exited;
  });
});
