// The CRI image calls, as kubelet makes them (runtime.v1.ImageService) over containerd's socket: the agent's
// canary pulls with it, and the test bed pulls, lists and removes with it.
import { field, fields, strings } from './protobuf.js';
import { unaryCall } from './grpc.js';

export { GrpcError, NO_STATUS } from './grpc.js';

const SERVICE = '/runtime.v1.ImageService';

function imageSpec(ref: string): Buffer {
  return field(1, field(1, ref));
}

/** PullImage; resolves with the image id (config digest) containerd reports. */
export async function pullImage(socket: string, ref: string, timeoutMs = 600_000, signal?: AbortSignal): Promise<string> {
  const response = await unaryCall(socket, `${SERVICE}/PullImage`, imageSpec(ref), { deadlineMs: timeoutMs, signal });
  return strings(response, 1)[0] ?? '';
}

export async function removeImage(socket: string, ref: string): Promise<void> {
  await unaryCall(socket, `${SERVICE}/RemoveImage`, imageSpec(ref), { deadlineMs: 60_000 });
}

export interface CriImage {
  id: string;
  repoTags: string[];
  repoDigests: string[];
}

export async function listImages(socket: string): Promise<CriImage[]> {
  const response = await unaryCall(socket, `${SERVICE}/ListImages`, Buffer.alloc(0), { deadlineMs: 60_000 });
  return fields(response)
    .filter((f) => f.number === 1 && f.bytes)
    .map((f) => {
      const image = f.bytes ?? Buffer.alloc(0);
      return { id: strings(image, 1)[0] ?? '', repoTags: strings(image, 2), repoDigests: strings(image, 3) };
    });
}
