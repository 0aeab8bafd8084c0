/** What a remote worker (`WorkerClient`, remote-client.ts) is given, and how its run ends. */
export interface WorkerClientOptions {
  /** ws:// or wss:// address of the coordinator. */
  readonly url: string;
  readonly token: string;
  /** Threads to compute with [number of cores]. */
  readonly threads?: number;
  /** Kernel backend name [auto]. */
  readonly backend?: string;
  /** Shown in the coordinator's logs [hostname-less "worker"]. */
  readonly label?: string;
  /** Directory of cached data sets; none: keep downloads in memory only. */
  readonly dataCacheDir?: string;
  /**
   * This machine's own encoding of the data set (`encodeDataset`), e.g. read from a shared file
   * system by `gradswarm launch`: used instead of a download when its fingerprint is the run's.
   */
  readonly localDataset?: Uint8Array;
  /** The job's world size, sent in hello; a coordinator started with another refuses this worker. */
  readonly worldSize?: number;
  /** PEM certificate(s) to trust for wss:// (e.g. a self-signed coordinator certificate). */
  readonly ca?: string | Buffer;
  /**
   * SHA-256 fingerprint of the coordinator's TLS certificate (hex, colons allowed): the worker
   * trusts that certificate and no other, self-signed or not.
   */
  readonly tlsFingerprint?: string;
  /** First reconnect delay [500 ms]; doubles up to reconnectMaxMs [10 000 ms]. */
  readonly reconnectInitialMs?: number;
  readonly reconnectMaxMs?: number;
  /**
   * Port of this worker's chain peer endpoint [0: any free port]; null: do not listen
   * (`--no-listen`: a worker behind NAT, served by the star).
   */
  readonly peerPort?: number | null;
  /** Address the peer endpoint binds [0.0.0.0]. */
  readonly peerBindHost?: string;
  /** Host name or address chain peers dial (`--advertise-host`) [the address the coordinator sees]. */
  readonly advertiseHost?: string;
  /** Give up after this long without a welcome from the coordinator [60 000 ms]. */
  readonly giveUpAfterMs?: number;
  readonly log?: (line: string) => void;
}

/** `failed`: sessions kept ending by this worker's own error (a bad chunk, an absurd step), so retrying would loop. */
export type WorkerExitReason = 'finished' | 'refused' | 'stopped' | 'unreachable' | 'failed';

export interface WorkerExit {
  readonly reason: WorkerExitReason;
  readonly message: string;
  /** Finished: the link broke after this worker answered the run's last step, before the coordinator said the run ended. */
  readonly afterFinal?: boolean;
  /** Step messages served over the worker's whole life. */
  readonly steps: number;
  /** Of those, the chain rounds it finished, and the chunk-frame bytes over its peer links. */
  readonly chainSteps: number;
  readonly chainSentBytes: number;
  readonly chainReceivedBytes: number;
}
