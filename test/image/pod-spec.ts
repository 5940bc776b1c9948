// What a kubelet would run for one container of a shipped manifest, read from the manifest itself: so the
// image test fails when the manifest changes and the image does not. Only the fields the shipped pods use are
// understood; anything else is an error here, never silently dropped.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { repoPath } from '../packaging/tools.js';

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}
interface Mount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  volumeMounts?: Mount[];
  ports?: Array<{ name: string; containerPort: number }>;
  securityContext?: { privileged?: boolean };
  livenessProbe?: { httpGet: { path: string; port: string } };
  readinessProbe?: { httpGet: { path: string; port: string } };
}
export interface Volume {
  name: string;
  configMap?: { name: string };
  secret?: { secretName: string; defaultMode?: number };
  hostPath?: { path: string; type?: string };
}
export interface PodSpec {
  hostNetwork?: boolean;
  hostPID?: boolean;
  terminationGracePeriodSeconds?: number;
  initContainers?: Container[];
  containers: Container[];
  volumes: Volume[];
}
interface Doc {
  kind: string;
  metadata: { name: string };
  spec?: { template?: { spec: PodSpec } };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

/** Every document of the manifest files under `dir` (relative to the repository). */
export function manifestDocs(...files: string[]): Doc[] {
  return files.flatMap((file) => parseAllDocuments(readFileSync(repoPath(file), 'utf8')).map((d) => d.toJS() as Doc));
}

export function podSpec(docs: Doc[], kind: string, name?: string): PodSpec {
  const found = docs.filter((d) => d.kind === kind && (name === undefined || d.metadata.name === name));
  if (found.length !== 1 || !found[0]!.spec?.template) throw new Error(`want one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0]!.spec.template.spec;
}

export function container(pod: PodSpec, name: string): Container {
  const found = [...(pod.initContainers ?? []), ...pod.containers].find((c) => c.name === name);
  if (!found) throw new Error(`no container ${name}`);
  return found;
}

/** The files of a ConfigMap (`data`) or Secret (`stringData`), by name. */
export function volumeFiles(docs: Doc[], kind: 'ConfigMap' | 'Secret', name: string): Record<string, string> {
  const doc = docs.find((d) => d.kind === kind && d.metadata.name === name);
  const files = kind === 'ConfigMap' ? doc?.data : doc?.stringData;
  if (!files) throw new Error(`no ${kind} ${name} with ${kind === 'ConfigMap' ? 'data' : 'stringData'}`);
  return files;
}

/** Kubernetes' `$(VAR)` expansion of env values from the variables defined before them. */
export function resolveEnv(c: Container, fieldRefs: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const v of c.env ?? []) {
    if (v.valueFrom) {
      const path = v.valueFrom.fieldRef?.fieldPath;
      const value = path === undefined ? undefined : fieldRefs[path];
      if (value === undefined) throw new Error(`env ${v.name}: unsupported valueFrom ${JSON.stringify(v.valueFrom)}`);
      env[v.name] = value;
    } else {
      env[v.name] = (v.value ?? '').replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (all, name: string) => env[name] ?? all);
    }
  }
  return env;
}

export interface BindMount {
  source: string;
  target: string;
  readOnly: boolean;
}

/** The container's mounts, each volume placed by `source` (a host directory for every volume). */
export function bindMounts(pod: PodSpec, c: Container, source: (volume: Volume) => string): BindMount[] {
  return (c.volumeMounts ?? []).map((m) => {
    if (m.subPath !== undefined) throw new Error(`${c.name}: subPath mounts are not supported here (${m.name})`);
    const volume = pod.volumes.find((v) => v.name === m.name);
    if (!volume) throw new Error(`${c.name}: mount of unknown volume ${m.name}`);
    return { source: source(volume), target: m.mountPath, readOnly: m.readOnly === true };
  });
}

/** The process a kubelet starts: `command` (else the image's entrypoint), then `args` (else the image's cmd). */
export function processArgs(c: Container, image: { Entrypoint?: string[]; Cmd?: string[] }): string[] {
  return [...(c.command ?? image.Entrypoint ?? []), ...(c.args ?? (c.command ? [] : (image.Cmd ?? [])))];
}
