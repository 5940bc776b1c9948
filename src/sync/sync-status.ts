// What the sync pod reports on /status: key names, hashes and error lines, never file content.
export interface SyncStatus {
  version: string;
  pid: number;
  startedAt: string;
  /** HOSTDIR holds the current source set. */
  ready: boolean;
  from: string[];
  to: string;
  config: {
    /** setHash of what HOSTDIR holds, once known. */
    hash?: string;
    /** Keys in HOSTDIR; `credentialFiles` are the ones written 0600. */
    files: string[];
    credentialFiles: string[];
    publishedAt?: string;
    /** Why the current source set is not on the node (rejected, or copying failed). */
    lastError?: string;
    lastErrorAt?: string;
  };
  lastPass?: { at: string; result: 'published' | 'unchanged' | 'rejected' | 'failed' };
}
