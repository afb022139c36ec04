/**
 * A quick look at websocket endpoints before the polkadot connection (rmb-tfchain.md §A1): `WsProvider` retries a
 * refused endpoint forever and says nothing until the connect deadline, so a closed port or an HTTP server given as
 * a chain URL cost the whole deadline and ended as "no endpoint answered". One handshake per endpoint, in parallel,
 * tells refusal (fail at once, saying what answered) from silence (keep waiting under the deadline).
 * @module
 */
import WebSocket from 'ws';

export type ProbeResult =
  /** The websocket handshake succeeded. */
  | { url: string; kind: 'open' }
  /** Something answered, and it was a no: refused, no such host, an HTTP reply instead of a websocket upgrade. */
  | { url: string; kind: 'refused'; reason: string }
  /** No answer yet: a slow or silent endpoint, left to the caller's deadline. */
  | { url: string; kind: 'silent' };

const DEFINITE_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused (nothing listens on that port)',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name does not resolve',
  ECONNRESET: 'the connection was reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPROTO: 'not a TLS server (use ws:// for a plain endpoint)',
};

/** One handshake to `url`, settled within `ms`. */
export function probeEndpoint(url: string, ms: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    let ws: WebSocket;
    const done = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws?.terminate();
      resolve(r);
    };
    const timer = setTimeout(() => done({ url, kind: 'silent' }), ms);
    try {
      ws = new WebSocket(url, { handshakeTimeout: ms });
    } catch (err) {
      done({ url, kind: 'refused', reason: `not a websocket URL (${(err as Error).message}); use ws:// or wss://` });
      return;
    }
    ws.on('open', () => done({ url, kind: 'open' }));
    ws.on('unexpected-response', (_req, res) => {
      const server = res.headers.server ? ` (${String(res.headers.server)})` : '';
      done({
        url,
        kind: 'refused',
        reason: `an HTTP server answered${server} with ${res.statusCode} ${res.statusMessage ?? ''}`.trim() + ' instead of a websocket upgrade; give the websocket endpoint (ws:// or wss://)',
      });
    });
    ws.on('error', (err: Error & { code?: string }) => {
      const known = err.code ? DEFINITE_CODES[err.code] : undefined;
      if (known) done({ url, kind: 'refused', reason: known });
      else if (/Invalid WebSocket frame|Unexpected server response|Invalid Sec-WebSocket|HPE_|Parse Error/i.test(err.message))
        done({ url, kind: 'refused', reason: `answered, but not as a websocket (${err.message})` });
      // other errors: wait for the deadline, the endpoint may still come up
    });
  });
}

/**
 * Probes every endpoint; resolves as soon as one opens (the others are not waited for), or when all have
 * answered no, or after `ms` with what is known by then.
 */
export async function probeEndpoints(urls: string[], ms: number): Promise<ProbeResult[]> {
  const results: (ProbeResult | undefined)[] = urls.map(() => undefined);
  await new Promise<void>((resolve) => {
    let left = urls.length;
    if (left === 0) resolve();
    urls.forEach(
      (u, i) =>
        void probeEndpoint(u, ms).then((r) => {
          results[i] = r;
          if (r.kind === 'open') resolve();
          if (--left === 0) resolve();
        }),
    );
  });
  return results.map((r, i) => r ?? { url: urls[i], kind: 'silent' });
}
