/**
 * The handshake of a chain peer link (architecture §8): a worker dials its successor in the chain
 * (another worker, or the coordinator for the last one) and both prove they hold the run's token,
 * as on the coordinator link, without it crossing the wire:
 *   dialer → listener  peer-hello      {from: the dialer's worker id, cnonce}
 *   listener → dialer  peer-challenge  {nonce, mac: HMAC(K, "gradswarm-peer-listener-v1" ‖ cnonce ‖ nonce ‖ from)}
 *   dialer → listener  peer-auth       {mac: HMAC(K, "gradswarm-peer-dialer-v1" ‖ nonce ‖ cnonce ‖ from)}
 * after which each direction has its own key (HMAC of a label and both nonces) that signs every
 * chunk frame (chain-frame.ts). A wrong MAC closes the link with 1008 (GS_ERR_AUTH).
 */
import { createNonce, hmac, verifyMac, type HmacKey } from './auth.js';
import { sessionKey, type SessionKey } from './session-key.js';
import { MAC_BYTES, NONCE_BYTES } from './constants.js';
import { packr, unpackr } from './codec.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import { concatBytes } from './concat-bytes.js';

/** Largest handshake frame (the three messages are ~100 bytes). */
export const PEER_HANDSHAKE_MAX_BYTES = 512;

const LISTENER_LABEL = 'gradswarm-peer-listener-v1';
const DIALER_LABEL = 'gradswarm-peer-dialer-v1';
const DIALER_KEY_LABEL = 'gradswarm-peer-d2l-v1';
const LISTENER_KEY_LABEL = 'gradswarm-peer-l2d-v1';

/** The two directions' keys of one authenticated peer link. */
export interface PeerLinkKeys {
  readonly dialerToListener: SessionKey;
  readonly listenerToDialer: SessionKey;
}

const utf8 = new TextEncoder();

function idBytes(id: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, id, true);
  return b;
}

function mac(key: HmacKey, label: string, ...parts: Uint8Array[]): Promise<Uint8Array> {
  return hmac(key, concatBytes([utf8.encode(label), ...parts]));
}

async function linkKeys(key: HmacKey, nonce: Uint8Array, cnonce: Uint8Array): Promise<PeerLinkKeys> {
  const [d2l, l2d] = await Promise.all([
    mac(key, DIALER_KEY_LABEL, nonce, cnonce),
    mac(key, LISTENER_KEY_LABEL, nonce, cnonce),
  ]);
  const [dialerToListener, listenerToDialer] = await Promise.all([sessionKey(d2l), sessionKey(l2d)]);
  return { dialerToListener, listenerToDialer };
}

function encode(message: object): Uint8Array {
  const packed = packr.pack(message);
  return new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength);
}

function decode(bytes: Uint8Array, expected: string): Record<string, unknown> {
  const refuse = (why: string): ProtocolError =>
    new ProtocolError(ProtocolErrorCode.INVALID, `peer handshake: expected '${expected}', ${why}`);
  if (bytes.byteLength > PEER_HANDSHAKE_MAX_BYTES) throw refuse(`got a frame of ${bytes.byteLength} bytes`);
  let value: unknown;
  try {
    value = unpackr.unpack(bytes);
  } catch {
    throw refuse('got bytes that are not msgpack');
  }
  if (typeof value !== 'object' || value === null || (value as { t?: unknown }).t !== expected)
    throw refuse(
      `got ${typeof value === 'object' && value !== null ? `'${String((value as { t?: unknown }).t)}'` : typeof value}`,
    );
  return value as Record<string, unknown>;
}

function bytesField(o: Record<string, unknown>, name: string, length: number): Uint8Array {
  const v = o[name];
  if (!(v instanceof Uint8Array) || v.byteLength !== length)
    throw new ProtocolError(ProtocolErrorCode.INVALID, `peer handshake: '${name}' must be ${length} bytes`);
  return v;
}

/** The dialing side: hello, then check the challenge and answer it. */
export class PeerDialerHandshake {
  private readonly cnonce = createNonce();

  constructor(
    private readonly tokenKey: HmacKey,
    private readonly from: number,
  ) {}

  hello(): Uint8Array {
    return encode({ t: 'peer-hello', from: this.from, cnonce: this.cnonce });
  }

  /**
   * @returns the auth frame to send and the link's keys
   * @throws ProtocolError GS_ERR_AUTH if the listener does not hold the token
   */
  async challenge(frame: Uint8Array): Promise<{ auth: Uint8Array; keys: PeerLinkKeys }> {
    const o = decode(frame, 'peer-challenge');
    const nonce = bytesField(o, 'nonce', NONCE_BYTES);
    const got = bytesField(o, 'mac', MAC_BYTES);
    const from = idBytes(this.from);
    if (!verifyMac(await mac(this.tokenKey, LISTENER_LABEL, this.cnonce, nonce, from), got))
      throw new ProtocolError(
        ProtocolErrorCode.AUTH,
        'the chain peer does not hold this run token - help: every worker of a run must be given the same --token',
      );
    const [auth, keys] = await Promise.all([
      mac(this.tokenKey, DIALER_LABEL, nonce, this.cnonce, from),
      linkKeys(this.tokenKey, nonce, this.cnonce),
    ]);
    return { auth: encode({ t: 'peer-auth', mac: auth }), keys };
  }
}

/** The listening side: answer the hello with a challenge, then check the auth. */
export class PeerListenerHandshake {
  private readonly nonce = createNonce();
  private cnonce: Uint8Array | null = null;
  /** The dialer's worker id, once its hello is read. */
  from = -1;

  constructor(private readonly tokenKey: HmacKey) {}

  async hello(frame: Uint8Array): Promise<Uint8Array> {
    const o = decode(frame, 'peer-hello');
    const from = o.from;
    if (typeof from !== 'number' || !Number.isInteger(from) || from < -1 || from > 0x7fffffff)
      throw new ProtocolError(
        ProtocolErrorCode.INVALID,
        `peer handshake: 'from' must be a worker id, got ${String(from)}`,
      );
    this.from = from;
    this.cnonce = bytesField(o, 'cnonce', NONCE_BYTES);
    const answer = await mac(this.tokenKey, LISTENER_LABEL, this.cnonce, this.nonce, idBytes(from));
    return encode({ t: 'peer-challenge', nonce: this.nonce, mac: answer });
  }

  /** @throws ProtocolError GS_ERR_AUTH if the dialer does not hold the token */
  async auth(frame: Uint8Array): Promise<PeerLinkKeys> {
    if (!this.cnonce)
      throw new ProtocolError(ProtocolErrorCode.UNEXPECTED, "peer handshake: 'peer-auth' before 'peer-hello'");
    const o = decode(frame, 'peer-auth');
    const got = bytesField(o, 'mac', MAC_BYTES);
    const expected = await mac(this.tokenKey, DIALER_LABEL, this.nonce, this.cnonce, idBytes(this.from));
    if (!verifyMac(expected, got))
      throw new ProtocolError(ProtocolErrorCode.AUTH, 'a chain peer failed authentication (wrong token)');
    return linkKeys(this.tokenKey, this.nonce, this.cnonce);
  }
}
