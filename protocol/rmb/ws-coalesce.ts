/**
 * Write coalescing for a WebSocket's socket: the frames sent during one event-loop turn leave in one `writev`
 * instead of one `write` syscall each. With many calls in flight a relay or peer handles several envelopes per
 * read, and the syscalls (each also running the loopback receiver's TCP path) were the largest cost after the
 * signatures. Frames stay byte-identical and in order; only their grouping into TCP writes changes.
 * @module
 */
import type { Duplex } from 'stream';

/** Returns a hook to call before each send on `socket`: the first call of a turn corks it until `setImmediate`. */
export function coalesceWrites(socket: Duplex): () => void {
  let corked = false;
  const flush = () => {
    corked = false;
    socket.uncork();
  };
  return () => {
    if (corked) return;
    corked = true;
    socket.cork();
    setImmediate(flush);
  };
}
