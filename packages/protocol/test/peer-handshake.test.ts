import { describe, expect, it } from 'vitest';
import { deriveTokenKey, macOf, PeerDialerHandshake, PeerListenerHandshake } from '../src/index.js';

const hmac = async (k: Parameters<typeof macOf>[0], data: Uint8Array) => macOf(k, [data]);

const TOKEN = 'peer-handshake-test-token';

describe('chain peer handshake', () => {
  it('gives both ends the same two direction keys when both hold the token', async () => {
    const k = await deriveTokenKey(TOKEN);
    const dialer = new PeerDialerHandshake(k, 3);
    const listener = new PeerListenerHandshake(k);
    const challenge = await listener.hello(dialer.hello());
    expect(listener.from).toBe(3);
    const { auth, keys: dialerKeys } = await dialer.challenge(challenge);
    const listenerKeys = await listener.auth(auth);
    const probe = Uint8Array.of(1, 2, 3);
    expect(await hmac(dialerKeys.dialerToListener, probe)).toEqual(await hmac(listenerKeys.dialerToListener, probe));
    expect(await hmac(dialerKeys.listenerToDialer, probe)).toEqual(await hmac(listenerKeys.listenerToDialer, probe));
    expect(await hmac(dialerKeys.dialerToListener, probe)).not.toEqual(await hmac(dialerKeys.listenerToDialer, probe));
  });

  it('refuses a listener or a dialer with another token', async () => {
    const good = await deriveTokenKey(TOKEN);
    const bad = await deriveTokenKey(`${TOKEN}-not`);
    const dialer = new PeerDialerHandshake(good, 1);
    await expect(dialer.challenge(await new PeerListenerHandshake(bad).hello(dialer.hello()))).rejects.toThrow(
      /does not hold this run token/,
    );
    const impostor = new PeerDialerHandshake(bad, 1);
    const listener = new PeerListenerHandshake(good);
    const challenge = await listener.hello(impostor.hello());
    // The impostor cannot verify the challenge; it forges an auth frame from another listener's challenge.
    const other = new PeerListenerHandshake(bad);
    const { auth } = await impostor.challenge(await other.hello(impostor.hello()));
    void challenge;
    await expect(listener.auth(auth)).rejects.toThrow(/failed authentication/);
  });

  it('refuses frames that are not the expected message', async () => {
    const k = await deriveTokenKey(TOKEN);
    await expect(new PeerListenerHandshake(k).hello(new Uint8Array(600))).rejects.toThrow(/frame of 600 bytes/);
    await expect(new PeerListenerHandshake(k).hello(Uint8Array.of(0x81))).rejects.toThrow(/not msgpack/);
    await expect(new PeerListenerHandshake(k).auth(Uint8Array.of(0x80))).rejects.toThrow(/before 'peer-hello'/);
  });
});
