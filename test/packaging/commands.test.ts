// Every agent command line the install paths ship is one the CLI accepts, with the settings intended:
// a renamed flag or env variable must fail here, not on a node at boot.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { parseCommandFlags } from '../../src/cli/args.js';
import { parseListen } from '../../src/observe/listen.js';
import { repoPath } from './tools.js';

const read = (path: string): string => readFileSync(repoPath(path), 'utf8');

/** `ExecStart=BINARY run ARGS $CMA_ARGS` -> ARGS (the last ExecStart= wins, as in systemd). */
function execStartArgs(unitText: string): { binary: string; args: string[] } {
  const lines = unitText.split('\n').filter((l) => l.startsWith('ExecStart=') && l !== 'ExecStart=');
  const [binary, command, ...args] = lines.at(-1)!.slice('ExecStart='.length).split(/\s+/);
  assert.equal(command, 'run');
  assert.equal(args.at(-1), '$CMA_ARGS', 'extra arguments from /etc/default/containerd-mirror-agent');
  return { binary: binary!, args: args.slice(0, -1) };
}

/** The node's base config is node-owned; what the sync DaemonSet copies into cluster.d/ is cluster-provided. */
const HOST_SOURCES = { config: ['/etc/containerd-mirror-agent/'], clusterConfig: ['/etc/containerd-mirror-agent/cluster.d/'] };
const sourcesOf = (flags: { config: string[]; clusterConfig: string[] }) => ({ config: flags.config, clusterConfig: flags.clusterConfig });

describe('shipped command lines', () => {
  it('the systemd unit runs the base config, then cluster.d as a cluster source', () => {
    const { binary, args } = execStartArgs(read('systemd/containerd-mirror-agent.service'));
    assert.equal(binary, '/usr/bin/containerd-mirror-agent');
    assert.deepEqual(sourcesOf(parseCommandFlags('run', args, {})), HOST_SOURCES);
  });

  it('the Ignition drop-in runs the same from /opt/bin', () => {
    const butane = parse(read('packaging/ignition/containerd-mirror-agent.bu')) as {
      systemd: { units: Array<{ dropins: Array<{ contents: string }> }> };
    };
    const { binary, args } = execStartArgs(butane.systemd.units[0]!.dropins[0]!.contents);
    assert.equal(binary, '/opt/bin/containerd-mirror-agent');
    assert.deepEqual(sourcesOf(parseCommandFlags('run', args, {})), HOST_SOURCES);
  });

  it('the DaemonSet args and CMA_ env give the node paths and a node-address listener', () => {
    const ds = parseAllDocuments(read('packaging/kubernetes/daemonset/daemonset.yaml'))
      .map(
        (d) =>
          d.toJS() as {
            kind: string;
            spec: { template: { spec: { containers: Array<{ args: string[]; env: Array<{ name: string; value?: string }> }> } } };
          },
      )
      .find((d) => d.kind === 'DaemonSet')!;
    const [container] = ds.spec.template.spec.containers;
    const env: NodeJS.ProcessEnv = {};
    // The kubelet expands $(HOST_IP) from the downward API; a node address stands in for it.
    for (const e of container!.env) if (e.value !== undefined) env[e.name] = e.value.replace('$(HOST_IP)', '10.0.0.7');
    const [command, ...args] = container!.args;
    assert.equal(command, 'run');
    const flags = parseCommandFlags('run', args, env);
    assert.equal(flags.stateDir, '/var/lib/containerd-mirror-agent');
    assert.equal(flags.containerdConfig, '/etc/containerd/config.toml');
    assert.deepEqual(parseListen(flags.listen), { host: '10.0.0.7', port: 10147 });
    // The image's node.yaml is node-owned; the mounted ConfigMap and Secret are cluster-provided.
    assert.deepEqual(sourcesOf(flags), {
      config: ['/etc/containerd-mirror-agent/node.yaml'],
      clusterConfig: ['/etc/containerd-mirror-agent/config/', '/etc/containerd-mirror-agent/credentials/'],
    });
    assert.equal(flags.exposeStatus, false, '/status stays off the node address');
  });
});
