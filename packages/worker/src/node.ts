// `@gradswarm/worker/node`: the Node-only gradient sources, re-exports only. The compute part
// (InProcessSource, computeSum/computeEach) is the main entry's.
export { DatasetCache, fingerprintBytes } from './dataset-cache.js';
export { frameLimit, setFrameLimit } from './frame-limit.js';
export { LocalPool, type LocalPoolOptions, type MessageBytes } from './local-pool.js';
export { WorkerClient, type WorkerClientOptions, type WorkerExit, type WorkerExitReason } from './remote-client.js';
export { ChainMember, type ChainRoundWork } from './chain-member.js';
export { startChainCompute, type ChainCompute } from './chain-compute.js';
export { PeerEndpoint, type PeerEndpointOptions } from './peer-endpoint.js';
export { acceptPeer, dialPeer, MAX_CHUNK_FRAME_BYTES, PeerLink, PeerLinkError, type PeerTraffic } from './peer-link.js';
