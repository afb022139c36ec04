/**
 * Transaction submission with explicit nonces (rmb-tfchain.md §B3, §C4 item 7). One `NonceTracker` per
 * account per connection hands out nonces locally, so concurrent submissions from one account never reuse a
 * nonce (`1010: stale` / `Priority is too low`). Submission (pool acceptance) is serialised per account, so the
 * pool always receives an account's transactions in nonce order; inclusion is awaited in parallel.
 * A pool rejection caused by a nonce race resyncs from the chain and resends (up to `NONCE_RACE_ATTEMPTS` sends).
 * Why not pipeline (send n+1 before n is accepted)? On chopsticks' instant sealing that let n+1 reach a block
 * before n, and it was dropped as invalid; throughput comes from `utility.batchAll` instead (bench/chain.bench.ts).
 * @module
 */
import type { ApiPromise, SubmittableResult } from '@polkadot/api';
import type { SubmittableExtrinsic } from '@polkadot/api/types';
import type { KeyringPair } from '@polkadot/keyring/types';
import { ChainError, errorText, type ErrorContext } from '../common/errors';
import { chainDispatchError, isNonceRace, type DecodedDispatchError } from './chain-errors';

export type Extrinsic = SubmittableExtrinsic<'promise'>;
// Types taken from the api's own results: node_modules holds several copies of @polkadot/types.
export type EventRecord = SubmittableResult['events'][number];
type DispatchError = NonNullable<SubmittableResult['dispatchError']>;

/** What an included extrinsic produced. */
export interface TxOutcome {
  blockHash: string;
  /** Events of this extrinsic only, in emission order. */
  events: EventRecord[];
}

/** How many times a transaction is sent when the pool rejects it for a nonce race. */
export const NONCE_RACE_ATTEMPTS = 8;

/** Per-account nonce allocator; `next` undefined means "ask the chain". */
class NonceTracker {
  private next: number | undefined;
  private tail: Promise<void> = Promise.resolve();

  /** Runs `fn` with the next nonce, one caller at a time (the pool-acceptance phase only). */
  async withNonce<T>(api: ApiPromise, address: string, fn: (nonce: number) => Promise<T>): Promise<T> {
    const prev = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    await prev;
    try {
      if (this.next === undefined) this.next = (await api.rpc.system.accountNextIndex(address)).toNumber();
      const nonce = this.next;
      const out = await fn(nonce);
      this.next = nonce + 1;
      return out;
    } catch (err) {
      this.next = undefined; // resync from chain next time
      throw err;
    } finally {
      release();
    }
  }

  /** Forget the local counter (a submitted tx was dropped). */
  reset(): void {
    this.next = undefined;
  }
}

/** Decodes a dispatch error through the runtime metadata. */
export function decodeDispatchError(api: ApiPromise, err: DispatchError): DecodedDispatchError {
  if (err.isModule) {
    try {
      const meta = api.registry.findMetaError(err.asModule);
      return { pallet: meta.section, error: meta.name, docs: meta.docs.join(' ').trim(), text: `${meta.section}.${meta.name}` };
    } catch {
      return { text: err.toString() };
    }
  }
  if (err.isToken) return { text: `Token.${err.asToken.type}` };
  if (err.isArithmetic) return { text: `Arithmetic.${err.asArithmetic.type}` };
  return { text: err.type };
}

/** Submits extrinsics for many accounts over one connection. */
export class TxSubmitter {
  private readonly trackers = new Map<string, NonceTracker>();

  constructor(private readonly api: ApiPromise) {}

  private tracker(address: string): NonceTracker {
    let t = this.trackers.get(address);
    if (!t) {
      t = new NonceTracker();
      this.trackers.set(address, t);
    }
    return t;
  }

  /**
   * Signs with an explicit nonce, sends, and resolves when the extrinsic is in a block and succeeded.
   * Rejects with a ChainError naming `what`, the pallet error and the fix when dispatch failed.
   */
  async submit(tx: Extrinsic, signer: KeyringPair, what: string, ctx: ErrorContext = {}): Promise<TxOutcome> {
    // A pool rejection for a nonce race, or a transaction the pool later marks invalid/usurped/dropped, was never
    // included, so resending is safe. Another client of the same account can win the race again before its
    // transaction is in a block: resync and resend a few times, pausing a little longer each time. The pause is
    // jittered: two clients that collided and waited equally long would collide again.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.submitOnce(tx, signer, what, ctx);
      } catch (err) {
        if (!(err instanceof ChainError && err.context.retryable === true) || attempt >= NONCE_RACE_ATTEMPTS) throw err;
        await new Promise((r) => setTimeout(r, (100 + Math.random() * 200) * attempt));
      }
    }
  }

  private async submitOnce(tx: Extrinsic, signer: KeyringPair, what: string, ctx: ErrorContext): Promise<TxOutcome> {
    const tracker = this.tracker(signer.address);
    let settle!: { resolve: (o: TxOutcome) => void; reject: (e: unknown) => void };
    const included = new Promise<TxOutcome>((resolve, reject) => (settle = { resolve, reject }));
    let unsub: (() => void) | undefined;
    const onStatus = (result: SubmittableResult): void => {
      const { status } = result;
      if (status.isInBlock || status.isFinalized) {
        unsub?.();
        const blockHash = (status.isInBlock ? status.asInBlock : status.asFinalized).toHex();
        if (result.dispatchError) {
          settle.reject(chainDispatchError(what, decodeDispatchError(this.api, result.dispatchError), ctx));
        } else {
          settle.resolve({ blockHash, events: result.events });
        }
      } else if (status.isInvalid || status.isDropped || status.isUsurped) {
        unsub?.();
        tracker.reset();
        settle.reject(
          new ChainError(`${what}: transaction ${status.type.toLowerCase()} by the chain before inclusion`, {
            ...ctx,
            error: status.type,
            // never included (another transaction took its nonce, or the pool let it go): safe to send again
            retryable: true,
            fix: 'retry; if it repeats, another client may be using the same account',
          }),
        );
      }
    };
    await tracker
      .withNonce(this.api, signer.address, async (nonce) => {
        unsub = await tx.signAndSend(signer, { nonce }, onStatus);
      })
      .catch((err: unknown) => {
        const text = errorText(err);
        if (/"payment"|Inability to pay some fees/.test(text)) {
          const fix = `fund account ${signer.address}`;
          throw new ChainError(`${what}: the account cannot pay the transaction fee (${text}); ${fix}`, { ...ctx, error: 'Payment', fix }, { cause: err });
        }
        throw new ChainError(
          `${what}: the chain refused the transaction: ${text}`,
          {
            ...ctx,
            error: text,
            retryable: isNonceRace(err),
            fix: 'check the account balance and arguments',
          },
          { cause: err },
        );
      });
    return included;
  }
}
