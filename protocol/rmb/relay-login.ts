/**
 * Login of a twin at the relay (rmb-tfchain.md §A4): the whole query of the WebSocket URL is a JWT signed by the
 * twin's on-chain key. 400 `missing jwt`; 401 for a token that does not parse, has expired, names an unknown
 * twin or is not signed by its key; 500 when the twin lookup fails; 503 while the relay shuts down.
 * @module
 */
import * as http from 'http';
import type { Duplex } from 'stream';
import { errorText } from '../common/errors';
import type { Logger } from '../common/log';
import { parseRelayJwt, verifyRelayJwt, type RelayClaims } from './jwt';
import type { TwinDirectory } from './twin-directory';

export interface LoginOptions {
  directory: TwinDirectory;
  log: Logger;
  nowS(): number;
  closing(): boolean;
  /** Completes the WebSocket upgrade of a twin whose token checked out. */
  accept(req: http.IncomingMessage, socket: Duplex, head: Buffer, claims: RelayClaims): void;
}

function refuse(socket: Duplex, status: number, text: string): void {
  const reason = http.STATUS_CODES[status] ?? 'Error';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
}

/** The `upgrade` listener of the relay's HTTP server. */
export function loginHandler(opts: LoginOptions): (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void {
  async function login(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (opts.closing()) return refuse(socket, 503, 'relay is shutting down');
    const url = req.url ?? '';
    const q = url.indexOf('?');
    let jwt = q >= 0 ? url.slice(q + 1) : '';
    try {
      jwt = decodeURIComponent(jwt);
    } catch {
      return refuse(socket, 401, 'invalid jwt: not URL-decodable');
    }
    if (!jwt) return refuse(socket, 400, 'missing jwt');
    let claims: RelayClaims;
    try {
      claims = parseRelayJwt(jwt, opts.nowS());
    } catch (err) {
      return refuse(socket, 401, errorText(err));
    }
    let twin: Awaited<ReturnType<typeof opts.directory.getTwin>>;
    try {
      twin = await opts.directory.getTwin(claims.sub);
    } catch (err) {
      return refuse(socket, 500, `failed to get twin: ${errorText(err)}`);
    }
    if (!twin) return refuse(socket, 401, `twin not found ${claims.sub}`);
    if (!verifyRelayJwt(jwt, twin.publicKey)) return refuse(socket, 401, 'invalid jwt: signature does not match the twin key');
    opts.accept(req, socket, head, claims);
  }

  return (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    login(req, socket, head).catch((err) => {
      opts.log.warn('login failed unexpectedly', { error: errorText(err) });
      if (socket.writable) refuse(socket, 500, `relay error: ${errorText(err)}`);
    });
  };
}
