// Which files are 0600 on the host. The sync cannot tell a Secret's volume from a ConfigMap's, so it judges
// each file: a source file not readable by others (a Secret mounted with a restrictive defaultMode), or a
// name or content that mentions credential fields. Erring towards 0600 costs nothing: the host agent is root.
const CREDENTIAL_WORDS = /password|auth|identitytoken|dockerconfigjson/i;

const CREDENTIAL_MODE = 0o600;
const PLAIN_MODE = 0o644;

export function hostMode(key: string, bytes: Buffer, sourceMode: number): number {
  const secret = (sourceMode & 0o004) === 0 || CREDENTIAL_WORDS.test(key) || CREDENTIAL_WORDS.test(bytes.toString('latin1'));
  return secret ? CREDENTIAL_MODE : PLAIN_MODE;
}
