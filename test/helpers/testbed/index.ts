export { onExit, type ExitGuard } from './cleanup.js';
export { spawnLogged, type ManagedProcess } from './process.js';
export { until, waitFor } from './wait.js';
export { startRegistry, parseAccessLog, type Registry, type AccessLogEntry } from './registry.js';
export { startContainerd, containerdConfig, privateSettings, privatize, registryPlugin, type Containerd } from './containerd.js';
export { checkListenersPrivate, listenersOutside } from './listeners.js';
export {
  buildMissing,
  containerdBuild,
  containerd2Missing,
  envFor,
  selectedBuild,
  selectedLine,
  CONTAINERD2_PREFIX,
  type ContainerdBuild,
  type ContainerdLine,
  type ContainerdMajor,
} from './build.js';
export { pullImage, removeImage, listImages, GrpcError, type CriImage } from '../../../src/cri/cri-client.js';
export { seedImage, SMALL_IMAGE, LARGE_IMAGE, type ImageSpec } from './images.js';
export { forgetAllImages, NAMESPACES } from './forget.js';
export { blackhole, canBlackhole, type Blackhole } from '../blackhole.js';
export { testbedUnavailable } from './requirements.js';
export { startTestbed, type Testbed, type TestbedOptions } from './testbed.js';
export { testbedForSuite, containerdManifestRequests, type SuiteBed } from './suite.js';
export { freshPull, linesMentioning, type PullResult } from './pull.js';
export { writeRendered } from './rendered.js';
