/**
 * Calling back on the event loop's next turn, in any runtime: `setImmediate` where it exists
 * (Node: after pending I/O, so a signal, a timer or a socket gets its turn), else a MessageChannel
 * message (a browser or a Web Worker: a task of its own, without setTimeout's 4 ms clamp).
 */

type Immediate = <T>(fn: (value: T) => void, value: T) => unknown;
const immediate = (globalThis as { setImmediate?: Immediate }).setImmediate;
/** The DOM's MessagePort, the part used here (the package compiles with Node's types, whose port is an EventEmitter). */
interface DomPort {
  onmessage: (() => void) | null;
  postMessage(value: unknown): void;
  close(): void;
}

/** Calls `fn(value)` on the next turn of the event loop. */
export function nextTurn<T>(fn: (value: T) => void, value: T): void {
  if (immediate) {
    immediate(fn, value);
    return;
  }
  const channel = new MessageChannel() as unknown as { readonly port1: DomPort; readonly port2: DomPort };
  channel.port1.onmessage = () => {
    channel.port1.close();
    fn(value);
  };
  channel.port2.postMessage(null);
}
