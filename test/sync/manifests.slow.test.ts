// packaging/kubernetes/host-mode: the manifests parse, the sync pod has no privilege beyond its hostPath, its
// args are ones `sync` accepts and point at its mounts, and the example ConfigMap + Secret pass the sync's
// own validation as they would land on a node.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { parseCommandFlags } from '../../src/cli/args.js';
import { hostMode } from '../../src/sync/classify.js';
import type { SourcedFile } from '../../src/sync/snapshot.js';
import { validateStaged } from '../../src/sync/validate.js';
import { tempDir } from '../helpers/temp-dir.js';

const DIR = fileURLToPath(new URL('../../packaging/kubernetes/host-mode/', import.meta.url));

interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: unknown;
}
interface Mount {
  name: string;
  mountPath: string;
  subPath?: string;
  readOnly?: boolean;
}
interface Container {
  args: string[];
  ports: Array<{ name: string; containerPort: number }>;
  securityContext: {
    privileged?: boolean;
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
  };
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  volumeMounts: Mount[];
}
interface PodSpec {
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  automountServiceAccountToken?: boolean;
  serviceAccountName: string;
  tolerations: Array<{ operator: string; key?: string; effect?: string }>;
  containers: Container[];
  initContainers?: Container[];
  volumes: Array<{ name: string; configMap?: { name: string }; secret?: { secretName: string }; hostPath?: { path: string } }>;
}

async function documents(): Promise<Array<{ file: string; doc: Doc }>> {
  const out: Array<{ file: string; doc: Doc }> = [];
  for (const file of (await readdir(DIR)).filter((f) => f.endsWith('.yaml')).sort()) {
    for (const d of parseAllDocuments(await readFile(join(DIR, file), 'utf8'))) {
      assert.deepEqual(d.errors, [], file);
      out.push({ file, doc: d.toJS() as Doc });
    }
  }
  return out;
}

describe('host-mode manifests', async () => {
  const docs = await documents();
  const resources = docs.filter(({ doc }) => doc.kind !== 'Kustomization');
  const one = <T extends Doc>(kind: string): T => {
    const found = resources.filter(({ doc }) => doc.kind === kind);
    assert.equal(found.length, 1, `one ${kind}`);
    return found[0]!.doc as T;
  };
  const daemonSet = one<Doc & { spec: { updateStrategy: { rollingUpdate: { maxSurge?: number } }; template: { spec: PodSpec } } }>(
    'DaemonSet',
  );
  const pod = daemonSet.spec.template.spec;
  const sync = pod.containers[0]!;

  it('parses; one namespace for all; the kustomization lists every file', () => {
    assert.deepEqual(resources.map(({ doc }) => doc.kind).sort(), ['ConfigMap', 'DaemonSet', 'Namespace', 'Secret', 'ServiceAccount']);
    const namespace = one('Namespace').metadata.name;
    for (const { file, doc } of resources) if (doc.kind !== 'Namespace') assert.equal(doc.metadata.namespace, namespace, file);
    const kustomization = docs.find(({ doc }) => doc.kind === 'Kustomization')!.doc as Doc & { resources: string[] };
    assert.deepEqual([...kustomization.resources].sort(), [...new Set(resources.map((r) => r.file))].sort());
  });

  it('gives the pod no privilege beyond the cluster.d hostPath, on every node', () => {
    assert.equal(pod.containers.length, 1);
    assert.equal(pod.initContainers, undefined);
    for (const flag of ['hostNetwork', 'hostPID', 'hostIPC'] as const) assert.notEqual(pod[flag], true, flag);
    assert.equal(pod.automountServiceAccountToken, false);
    assert.equal(pod.serviceAccountName, one('ServiceAccount').metadata.name);
    const sc = sync.securityContext;
    assert.notEqual(sc.privileged, true);
    assert.equal(sc.allowPrivilegeEscalation, false);
    assert.equal(sc.readOnlyRootFilesystem, true);
    assert.deepEqual(sc.capabilities, { drop: ['ALL'] });
    const hostPaths = pod.volumes.filter((v) => v.hostPath !== undefined);
    assert.deepEqual(
      hostPaths.map((v) => v.hostPath!.path),
      ['/etc/containerd-mirror-agent/cluster.d'],
    );
    assert.ok(
      pod.tolerations.some((t) => t.operator === 'Exists' && t.key === undefined && t.effect === undefined),
      'a toleration for every taint',
    );
    assert.equal(
      daemonSet.spec.updateStrategy.rollingUpdate.maxSurge,
      0,
      'one sync (one writer of the host dir) per node, also during a rollout',
    );
  });

  it('mounts the ConfigMap and Secret as directories and runs `sync` from them into the hostPath, at its node path', () => {
    for (const m of sync.volumeMounts) assert.equal(m.subPath, undefined, `${m.name} uses subPath`);
    const mountOf = (pred: (v: PodSpec['volumes'][number]) => boolean): string => {
      const volume = pod.volumes.find(pred);
      assert.ok(volume);
      return sync.volumeMounts.find((m) => m.name === volume.name)!.mountPath;
    };
    const [command, ...rest] = sync.args;
    assert.equal(command, 'sync');
    const flags = parseCommandFlags('sync', rest, {});
    assert.deepEqual(flags.from, [
      mountOf((v) => v.configMap?.name === one('ConfigMap').metadata.name),
      mountOf((v) => v.secret?.secretName === one('Secret').metadata.name),
    ]);
    assert.equal(
      flags.to,
      mountOf((v) => v.hostPath !== undefined),
    );
    assert.equal(flags.to, '/etc/containerd-mirror-agent/cluster.d', 'the hostPath is mounted at its node path');
    const port = sync.ports.find((p) => p.name === 'http')!.containerPort;
    assert.equal(flags.listen, `0.0.0.0:${port}`);
    assert.deepEqual(
      [sync.livenessProbe.httpGet, sync.readinessProbe.httpGet],
      [
        { path: '/healthz', port: 'http' },
        { path: '/readyz', port: 'http' },
      ],
    );
  });

  it('the example ConfigMap and Secret are a set the sync accepts, credentials path included', async (t) => {
    const staged = join(await tempDir(t, 'sync-manifests'), 'staged');
    await mkdir(staged);
    const set = new Map<string, SourcedFile>();
    const data = {
      ...one<Doc & { data: Record<string, string> }>('ConfigMap').data,
      ...one<Doc & { stringData: Record<string, string> }>('Secret').stringData,
    };
    for (const [key, text] of Object.entries(data)) {
      await writeFile(join(staged, key), text);
      set.set(key, { bytes: Buffer.from(text), mode: hostMode(key, Buffer.from(text), 0o400), source: key });
    }
    assert.ok(set.has('.dockerconfigjson'));
    assert.deepEqual(
      (await validateStaged(staged, set, '/etc/containerd-mirror-agent/cluster.d')).map((e) => e.toLine()),
      [],
    );
  });

  it('kubectl kustomize renders the directory', (t) => {
    const r = spawnSync('kubectl', ['kustomize', DIR], { encoding: 'utf8', timeout: 50_000 });
    if (r.error !== undefined) return t.skip('kubectl not installed');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /name: containerd-mirror-agent-sync/);
  });
});
