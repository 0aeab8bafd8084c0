/**
 * What a protocol session asks its transport to do. A session never touches a socket: the
 * driver (the ws server or client, the bench's synthetic client, a test) feeds it frames and
 * applies the actions it returns, in order.
 */
import type { ProtocolError } from './errors.js';
import type { DataChunkMessage, HelloMessage, ResultMessage, StepMessage, WelcomeMessage } from './messages.js';
import type { WireTensor } from './tensor-frames.js';

/** Send these bytes as one binary frame. */
export interface SendAction {
  readonly kind: 'send';
  readonly bytes: Uint8Array;
}

/** Close the connection. `code` is always one ws accepts and `reason` fits 123 UTF-8 bytes. */
export interface CloseAction {
  readonly kind: 'close';
  readonly code: number;
  readonly reason: string;
}

/** Actions of the coordinator's session (CoordinatorSession). */
export type CoordinatorAction =
  | SendAction
  | CloseAction
  /** The peer was refused: log `refused <peer>: reason`; a joined worker is dropped. */
  | { readonly kind: 'refused'; readonly code: string; readonly reason: string }
  /** The worker is authenticated and was given `workerId`; the welcome follows. */
  | { readonly kind: 'joined'; readonly workerId: number; readonly hello: HelloMessage }
  /** The worker holds the data set: admit it to the membership. */
  | {
      readonly kind: 'admit';
      /** Where its chain peers reach it; `fingerprint`: its endpoint's TLS certificate, under a TLS run. */
      readonly peer?: { readonly port: number; readonly host?: string; readonly fingerprint?: string };
    }
  /**
   * Gradient `index` of the step in flight, checked, as a view on its frame: copy it out now
   * (`readTensor`) into the receiver's buffer. It counts only once its `result` comes.
   */
  | {
      readonly kind: 'gradient';
      readonly step: StepMessage;
      readonly index: number;
      readonly tensor: WireTensor;
    }
  /**
   * A result that answers the step in flight (already checked with checkResultForStep), after
   * all its gradients came as `gradient` actions.
   */
  | {
      readonly kind: 'result';
      readonly result: ResultMessage;
      readonly step: StepMessage;
    }
  /** A result that does not answer the step in flight: drop the worker with `error`. */
  | { readonly kind: 'rejected'; readonly error: ProtocolError }
  /** Any signed message from the worker (it is alive). */
  | { readonly kind: 'alive' }
  /** The worker left with `reason`. */
  | { readonly kind: 'left'; readonly reason: string }
  /** The worker reported an error of its own and is gone. */
  | { readonly kind: 'worker-error'; readonly code: string; readonly message: string };

/** Actions of the worker's session (WorkerSession). */
export type WorkerAction =
  | SendAction
  | CloseAction
  /** The coordinator proved it holds the token: get the data set, then call `ready()`. */
  | { readonly kind: 'welcome'; readonly welcome: WelcomeMessage }
  /** A data chunk answering the last `requestChunk`. */
  | { readonly kind: 'chunk'; readonly chunk: DataChunkMessage }
  /** A step to compute, with its weights' tensor frame when it brought one; answer with `result()`. */
  | { readonly kind: 'step'; readonly step: StepMessage; readonly weights?: WireTensor }
  /** Refused for good (token, version, backend, or a coordinator that cannot prove the token). */
  | { readonly kind: 'refused'; readonly code: string; readonly message: string }
  /** The coordinator says the run is finished. */
  | { readonly kind: 'finished' }
  /** The link is lost (the coordinator left, or sent something unacceptable): reconnect. */
  | { readonly kind: 'lost'; readonly message: string }
  /** One line for the log (the coordinator reported a non-fatal error). */
  | { readonly kind: 'log'; readonly line: string };
