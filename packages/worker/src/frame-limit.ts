/**
 * Raising a WebSocket's frame limit once its peer is authenticated (issue 17 item 1). ws takes
 * `maxPayload` once, for the whole server or client, and checks it in its Receiver as each
 * frame's declared length is read (`haveLength`), before the payload is buffered. Both sides
 * therefore open every connection with the handshake's small limit (`handshakeLimits`) and
 * raise it for that one connection after the welcome: the Receiver's `_maxPayload`, and the
 * permessage-deflate extension's (it bounds the inflated size) when one was negotiated.
 *
 * Those fields are ws internals (ws 8: `ws._receiver._maxPayload`, `ws._extensions[...]
 * ._maxPayload`), so the helper checks that they are there and are numbers and throws
 * otherwise: a ws upgrade that renamed them fails every authenticated connection loudly (and
 * the frame-limit test), never silently keeping or dropping a limit.
 */
import type { WebSocket } from 'ws';

interface LimitHolder {
  _maxPayload?: unknown;
}

/**
 * Sets the largest message one connection accepts from now on.
 * @param ws an open ws WebSocket (server or client side)
 * @param maxPayloadBytes the new limit, a positive safe integer
 * @throws RangeError for a bad limit; Error if this ws version keeps its limit elsewhere
 */
export function setFrameLimit(ws: WebSocket, maxPayloadBytes: number): void {
  if (!Number.isSafeInteger(maxPayloadBytes) || maxPayloadBytes < 1) {
    throw new RangeError(`maxPayloadBytes must be a positive safe integer, got ${maxPayloadBytes}`);
  }
  const internals = ws as unknown as {
    _receiver?: LimitHolder | null;
    _extensions?: Record<string, LimitHolder | undefined>;
  };
  const receiver = internals._receiver;
  if (!receiver || typeof receiver._maxPayload !== 'number') {
    throw new Error(
      'cannot set the frame limit: this version of ws keeps no Receiver._maxPayload (setFrameLimit needs updating)',
    );
  }
  receiver._maxPayload = maxPayloadBytes;
  const deflate = internals._extensions?.['permessage-deflate'];
  if (deflate !== undefined) {
    if (typeof deflate._maxPayload !== 'number') {
      throw new Error(
        'cannot set the frame limit: this version of ws keeps no PerMessageDeflate._maxPayload (setFrameLimit needs updating)',
      );
    }
    deflate._maxPayload = maxPayloadBytes;
  }
}

/**
 * The frame limit a connection enforces now (for tests and logs).
 * @returns the Receiver's limit, or null if the socket has none (not open yet)
 */
export function frameLimit(ws: WebSocket): number | null {
  const receiver = (ws as unknown as { _receiver?: LimitHolder | null })._receiver;
  return receiver && typeof receiver._maxPayload === 'number' ? receiver._maxPayload : null;
}
