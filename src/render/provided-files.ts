// Cluster-provided `ca` and `client` files, placed where the node's containerd can read them: in the
// registry's own directory of the hosts dir, in containerd's certs.d layout (`*.crt` a CA, `*.cert` and
// `*.key` a client pair), and hosts.toml names those copies. Pure: the bytes were read with the config.
// Shaped so: in the DaemonSet a ConfigMap or Secret file exists only inside the pod's mount namespace, so a
// pod path in hosts.toml fails every pull of that registry on the host; the copy is what the agent checked
// and probed with. The name is the content's hash: a rotated certificate is a new file, hosts.toml switches
// to it in one write (apply writes it after the files it names) and the old copy is then handed back, so
// containerd never reads a hosts.toml naming a file that is not (yet) there. Keys, and a cert file that holds
// its own key, are 0600. Paths a node-owned source names are the node's own files and are written as named.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { RenderedFile } from '../model.js';
import { OWNER_MARKER } from '../ownership.js';

export type TlsRole = 'ca' | 'cert' | 'key' | 'certWithKey';

const EXTENSION: Readonly<Record<TlsRole, string>> = { ca: 'crt', cert: 'cert', key: 'key', certWithKey: 'cert' };
const MODE_PLAIN = 0o644;
const MODE_SECRET = 0o600;

/** Where one registry's TLS paths point: the path itself, or its copy in the registry's directory. */
export class FilePlacer {
  readonly #placed = new Map<string, RenderedFile>();

  /** `provided`: cluster-provided path -> its text; `dir`: the registry's directory in the hosts dir. */
  constructor(
    private readonly dir: string,
    private readonly provided: ReadonlyMap<string, string> = new Map(),
  ) {}

  /** The path hosts.toml names for `file` used as `role`. */
  place(file: string, role: TlsRole): string {
    const text = this.provided.get(file);
    if (text === undefined) return file;
    const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
    const target = path.join(this.dir, `cma-${hash}.${EXTENSION[role]}`);
    // PEM readers (Go's encoding/pem) skip text before `-----BEGIN`, so the owner marker can lead the file.
    const secret = role === 'key' || role === 'certWithKey';
    this.#placed.set(target, { content: `${OWNER_MARKER}\n${text}`, mode: secret ? MODE_SECRET : MODE_PLAIN });
    return target;
  }

  /** The copies placed so far: path -> file, for the rendered tree. */
  files(): ReadonlyMap<string, RenderedFile> {
    return this.#placed;
  }
}
