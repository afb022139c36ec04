/**
 * gateway-name-proxy manager: `<name>.<node domain>` through `backends.gateway` (zos-protocol.md §1.5, §4, §6.5).
 *
 * Besides provisioning, the manager re-checks the name contract of every served name proxy, like zosbase's
 * gateway module does (`pkg/gateway/gateway.go` `nameContractsValidator`: every `validationPeriod` = 1 h it looks
 * every served name up on the chain and decommissions the workloads whose contract is gone, not Created any more,
 * or owned by another twin). Here the check runs from the engine's `health` poll, rate-limited per workload to one
 * chain lookup per `checkIntervalMs`. A workload that fails it stops being served at once and its result turns
 * `error` with the deploy-time ZOS text (`failed to verify name contract: …`), so a refresh shows why.
 * Quirk: ZOS itself marks such a workload `deleted` with `workload decommissioned by system, reason: <cause>`;
 * we keep `error` so that the owner sees it failed (and the provider replaces it on the next `up`).
 * A lookup that fails (chain unreachable) is not a verdict: the engine logs it and the proxy keeps serving.
 * @module
 */
import { systemClock, type Clock } from '../../../protocol/common/clock';
import { GATEWAY_ERRORS, type NameContractStatus } from '../../backends/gateway/gateway';
import type { Manager, WorkloadFailure, WorkloadManager } from './manager';
import { typedDispatch } from './typed-dispatch';

/** zosbase `validationPeriod`: how often a node re-checks the name contracts of the names it serves. */
export const DEFAULT_NAME_CONTRACT_CHECK_MS = 60 * 60 * 1000;

export interface NameProxyManagerOptions {
  /** At most one chain lookup per served name proxy per this many ms (default: ZOS's hour; the local grid: seconds). */
  checkIntervalMs?: number;
  clock?: Clock;
}

/**
 * The §6.5 text a name proxy of `twinId` is refused with, given what the chain says of its name contract, or
 * undefined when the contract still covers it (exists, Created or GracePeriod, same twin). Same order as ZOS.
 */
export function nameContractRefusal(status: NameContractStatus, twinId: number): string | undefined {
  if (!status.exists) return GATEWAY_ERRORS.nameContractMissing;
  if (status.state !== 'Created' && status.state !== 'GracePeriod') return GATEWAY_ERRORS.nameContractState;
  if (status.twinId !== twinId) return GATEWAY_ERRORS.nameContractTwin;
  return undefined;
}

/**
 * A name-proxy manager for the engine's table (`EngineOptions.managers`), its data decoded first (`typedDispatch`),
 * whose periodic name-contract check runs at most every `opts.checkIntervalMs` per workload.
 */
export function createGatewayNameProxyManager(opts: NameProxyManagerOptions = {}): WorkloadManager {
  return typedDispatch('gateway-name-proxy', createTypedNameProxyManager(opts));
}

/** The same, typed by the protocol's `GatewayNameProxyData` (the table in `index.ts` holds this one). */
export function createTypedNameProxyManager(opts: NameProxyManagerOptions = {}): Manager<'gateway-name-proxy'> {
  const every = opts.checkIntervalMs ?? DEFAULT_NAME_CONTRACT_CHECK_MS;
  const clock = opts.clock ?? systemClock;
  /** Workload id → when its name contract was last looked at (provision checks it too). In memory, like ZOS. */
  const checkedAt = new Map<string, number>();

  return {
    async provision(ctx, d) {
      const result = await ctx.backends.gateway.addNameProxy({
        workloadId: ctx.wid,
        twinId: ctx.twinId,
        name: d.name,
        tlsPassthrough: d.tls_passthrough,
        backends: d.backends,
        network: d.network || undefined,
      });
      checkedAt.set(ctx.wid, clock.now());
      return result;
    },
    async deprovision(ctx) {
      checkedAt.delete(ctx.wid);
      await ctx.backends.gateway.remove(ctx.wid);
    },
    async health(ctx, data): Promise<WorkloadFailure | undefined> {
      const now = clock.now();
      const last = checkedAt.get(ctx.wid);
      if (last !== undefined && now - last < every) return undefined;
      // Stamped before the lookup: a chain that fails is asked again after the interval, not on every poll.
      checkedAt.set(ctx.wid, now);
      const name = data.name;
      const refusal = nameContractRefusal(await ctx.chain.nameContract(name, ctx.twinId), ctx.twinId);
      if (refusal === undefined) return undefined;
      checkedAt.delete(ctx.wid);
      await ctx.backends.gateway.remove(ctx.wid);
      ctx.log.warn('name contract no longer covers the gateway: domain not served any more', {
        twin: ctx.twinId,
        contract: ctx.contractId.toString(),
        workload: ctx.name,
        name,
        reason: refusal,
      });
      return { message: refusal, reason: refusal, restartable: false };
    },
  };
}

/** The manager the engine's table uses: ZOS's hourly check (nodes pass their own through `EngineOptions.managers`). */
export const gatewayNameProxyManager: Manager<'gateway-name-proxy'> = createTypedNameProxyManager();
