// The DaemonSet install path: every manifest parses and has what the issue asks for.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { missing, repoPath, run } from './tools.js';

const DIR = 'packaging/kubernetes/daemonset';

interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: unknown;
}

function documents(): Array<{ file: string; doc: Doc }> {
  const out: Array<{ file: string; doc: Doc }> = [];
  for (const file of readdirSync(repoPath(DIR))
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    for (const d of parseAllDocuments(readFileSync(repoPath(DIR, file), 'utf8'))) {
      assert.deepEqual(d.errors, [], file);
      out.push({ file, doc: d.toJS() as Doc });
    }
  }
  return out;
}

interface Probe {
  httpGet: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  args: string[];
  env: Array<{ name: string; value?: string }>;
  ports: Array<{ name: string; containerPort: number }>;
  securityContext: { privileged?: boolean };
  livenessProbe: Probe;
  readinessProbe: Probe;
  resources: { requests: { cpu: string; memory: string }; limits: { memory: string } };
  volumeMounts: Array<{ name: string; mountPath: string; subPath?: string; readOnly?: boolean }>;
}
interface PodSpec {
  hostNetwork: boolean;
  hostPID: boolean;
  dnsPolicy: string;
  priorityClassName: string;
  serviceAccountName: string;
  tolerations: Array<{ operator: string; key?: string; effect?: string }>;
  containers: Container[];
  volumes: Array<{ name: string; configMap?: { name: string }; secret?: { secretName: string }; hostPath?: { path: string } }>;
}

const docs = documents();
const resources = docs.filter(({ doc }) => doc.kind !== 'Kustomization');
const byKind = (kind: string): Doc => {
  const found = resources.filter(({ doc }) => doc.kind === kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return found[0]!.doc;
};
const daemonSet = byKind('DaemonSet') as Doc & { spec: { template: { spec: PodSpec } } };
const pod = daemonSet.spec.template.spec;
const agent = pod.containers[0]!;

describe('Kubernetes manifests', () => {
  it('every document has apiVersion, kind and metadata.name, in the agent namespace', () => {
    assert.deepEqual(resources.map(({ doc }) => doc.kind).sort(), ['ConfigMap', 'DaemonSet', 'Namespace', 'Secret', 'ServiceAccount']);
    const namespace = byKind('Namespace').metadata.name;
    for (const { file, doc } of resources) {
      assert.ok(doc.apiVersion && doc.kind && doc.metadata.name, `${file}: ${doc.kind}/${doc.metadata.name}`);
      if (doc.kind !== 'Namespace') assert.equal(doc.metadata.namespace, namespace, `${file}: ${doc.kind}`);
    }
  });

  it('the kustomization lists every manifest file', () => {
    const kustomization = docs.find(({ doc }) => doc.kind === 'Kustomization')!.doc as Doc & { resources: string[] };
    assert.deepEqual([...kustomization.resources].sort(), [...new Set(resources.map((r) => r.file))].sort());
  });

  it('runs privileged on the host network and PID namespace, on every node, as node-critical', () => {
    assert.equal(pod.hostNetwork, true);
    assert.equal(pod.hostPID, true);
    assert.equal(pod.dnsPolicy, 'Default', 'resolves names as containerd on the node does');
    assert.equal(agent.securityContext.privileged, true);
    assert.equal(pod.priorityClassName, 'system-node-critical');
    assert.ok(
      pod.tolerations.some((t) => t.operator === 'Exists' && t.key === undefined && t.effect === undefined),
      'a toleration for every taint',
    );
    assert.equal(pod.serviceAccountName, byKind('ServiceAccount').metadata.name);
  });

  it('probes /healthz for liveness and /readyz for readiness on the port the agent listens on', () => {
    assert.equal(agent.livenessProbe.httpGet.path, '/healthz');
    assert.equal(agent.readinessProbe.httpGet.path, '/readyz');
    const port = agent.ports.find((p) => p.name === agent.livenessProbe.httpGet.port);
    assert.ok(port, 'probe port names a container port');
    assert.equal(agent.readinessProbe.httpGet.port, port.name);
    const listen = agent.env.find((e) => e.name === 'CMA_LISTEN')?.value;
    assert.equal(listen?.split(':').at(-1), String(port.containerPort));
  });

  it('mounts the ConfigMap and Secret as directories (never subPath) and the node paths where they are on the host', () => {
    for (const m of agent.volumeMounts) assert.equal(m.subPath, undefined, `${m.name} uses subPath`);
    const volume = (name: string) => pod.volumes.find((v) => v.name === name)!;
    const mountOf = (pred: (v: PodSpec['volumes'][number]) => boolean) => {
      const v = pod.volumes.find(pred);
      assert.ok(v);
      return agent.volumeMounts.find((m) => m.name === v.name)!;
    };
    const configMount = mountOf((v) => v.configMap?.name === byKind('ConfigMap').metadata.name);
    const secretMount = mountOf((v) => v.secret?.secretName === byKind('Secret').metadata.name);
    // Both volumes come from the cluster: read as --cluster-config, never as node-owned --config.
    assert.deepEqual(agent.args.slice(3), [
      '--cluster-config',
      `${configMount.mountPath}/`,
      '--cluster-config',
      `${secretMount.mountPath}/`,
    ]);
    for (const m of agent.volumeMounts) {
      const hostPath = volume(m.name).hostPath?.path;
      if (hostPath !== undefined) assert.equal(m.mountPath, hostPath, `${m.name} at the host's path`);
    }
    const hostPaths = pod.volumes.map((v) => v.hostPath?.path);
    for (const p of ['/etc/containerd', '/var/lib/containerd-mirror-agent']) assert.ok(hostPaths.includes(p), p);
    assert.equal(agent.env.find((e) => e.name === 'CMA_STATE_DIR')?.value, '/var/lib/containerd-mirror-agent');
  });

  it('requests resources and bounds memory', () => {
    assert.ok(agent.resources.requests.cpu && agent.resources.requests.memory && agent.resources.limits.memory);
  });

  it('the image is pinned to an exact version, not a floating tag', () => {
    assert.match(agent.image, /:\d+\.\d+\.\d+$/);
    const containerfile = readFileSync(repoPath('packaging/kubernetes/image/Containerfile'), 'utf8');
    // A build stage on an exact Debian point release, and the image itself from scratch (see make-root.sh).
    const from = containerfile.split('\n').filter((l) => l.startsWith('FROM '));
    assert.deepEqual(from.length, 2);
    assert.match(from[0]!, /\/debian:\d+\.\d+-slim(@sha256:[0-9a-f]{64})? AS root$/);
    assert.equal(from[1], 'FROM scratch');
  });

  it('kubectl kustomize builds the set offline', (t) => {
    const skip = missing('kubectl', 'Kubernetes client');
    if (skip) return t.skip(skip);
    const r = run('kubectl', ['kustomize', repoPath(DIR)]);
    assert.equal(r.code, 0, r.stderr);
    const kinds = parseAllDocuments(r.stdout)
      .map((d) => (d.toJS() as Doc).kind)
      .sort();
    assert.deepEqual(kinds, resources.map((x) => x.doc.kind).sort());
  });
});
