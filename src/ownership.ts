// The first line of every file the agent writes. Files without it belong to someone else: never
// overwritten or removed without a backup (ARCHITECTURE.md, invariant 3).

export const OWNER_MARKER =
  '# Managed by containerd-mirror-agent. Local edits are overwritten; run `containerd-mirror-agent restore` to hand this file back.';

export function isOwned(content: string): boolean {
  return content.startsWith(OWNER_MARKER + '\n') || content === OWNER_MARKER;
}
