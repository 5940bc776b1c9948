// Every agent config this repository ships to users, as (name, YAML text): the package's example, the
// cloud-init user-data, the Ignition source, and the DaemonSet's and host mode's ConfigMaps (named
// `ConfigMap ...`: cluster-provided, loaded as --cluster-config).
import { readFileSync } from 'node:fs';
import { parse, parseAllDocuments } from 'yaml';
import { repoPath } from './tools.js';

const read = (path: string): string => readFileSync(repoPath(path), 'utf8');

interface WrittenFile {
  path: string;
  content?: string;
  contents?: { inline?: string };
}

function writtenConfigs(source: string, files: WrittenFile[]): Array<[string, string]> {
  return files
    .filter((f) => f.path.startsWith('/etc/containerd-mirror-agent/') && /\.(ya?ml|json|toml)$/.test(f.path))
    .map((f) => [`${source} ${f.path}`, f.content ?? f.contents?.inline ?? '']);
}

export function shippedConfigs(): Array<[string, string]> {
  const userData = parse(read('packaging/cloud-init/user-data.yaml')) as { write_files: WrittenFile[] };
  const butane = parse(read('packaging/ignition/containerd-mirror-agent.bu')) as { storage: { files: WrittenFile[] } };
  const configMaps = ['daemonset', 'host-mode'].flatMap((dir) =>
    parseAllDocuments(read(`packaging/kubernetes/${dir}/config.yaml`))
      .map((d) => ({ dir, ...(d.toJS() as { kind: string; data?: Record<string, string> }) }))
      .filter((d) => d.kind === 'ConfigMap'),
  );
  return [
    ['packaging/config/config.yaml.example', read('packaging/config/config.yaml.example')],
    ...writtenConfigs('cloud-init', userData.write_files),
    ...writtenConfigs('ignition', butane.storage.files),
    ...configMaps.flatMap((cm) => Object.entries(cm.data ?? {}).map(([k, v]): [string, string] => [`ConfigMap ${cm.dir} key ${k}`, v])),
  ];
}
