/**
 * TFChain storage values as the client returns them, validated with zod at the edge (rmb-tfchain.md §B4).
 * Input is polkadot-js `Codec.toJSON()` (camelCase, Bytes as `0x…` hex, small ints as numbers, big ints as
 * numbers or hex); output is plain typed objects with text fields decoded and ids as numbers.
 * @module
 */
import { z } from 'zod';
import { hexToU8a, u8aToString } from '@polkadot/util';
import { decodeAddress } from '@polkadot/util-crypto';

const hex = z.string().regex(/^0x[0-9a-fA-F]*$/);
/** Bytes holding text (relay, names, IPs): hex → UTF-8. */
const hexText = hex.transform((h) => u8aToString(hexToU8a(h)));
const hexBytes = hex.transform((h) => hexToU8a(h));
/** An id or counter that fits a JS number (u32/u64 ids). */
const id = z.union([z.number().int().nonnegative(), hex]).transform((v, ctx) => {
  const n = typeof v === 'number' ? v : Number(BigInt(v));
  if (!Number.isSafeInteger(n)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `id ${v} exceeds 2^53` });
  return n;
});
/** u64/u128 amounts and capacities: bigint. */
const big = z.union([z.number(), z.string()]).transform((v) => BigInt(v));

export const twinSchema = z
  .object({
    id,
    accountId: z.string(),
    relay: hexText.nullable(),
    pk: hexBytes.nullable(),
  })
  .passthrough()
  .transform((t) => ({
    id: t.id,
    accountId: t.accountId,
    /** The 32-byte account public key: verifies RMB envelopes and JWTs. */
    publicKey: decodeAddress(t.accountId),
    relay: t.relay,
    pk: t.pk,
  }));
export type Twin = z.output<typeof twinSchema>;

export const resourcesSchema = z.object({ hru: big, sru: big, cru: big, mru: big });
/** Bytes: hru/sru/mru; cores: cru. */
export type Resources = z.output<typeof resourcesSchema>;

export const publicConfigSchema = z.object({
  ip4: z.object({ ip: hexText, gw: hexText }),
  ip6: z.object({ ip: hexText, gw: hexText }).nullable(),
  domain: hexText.nullable(),
});
export type PublicConfig = z.output<typeof publicConfigSchema>;

export const nodeSchema = z
  .object({
    id,
    farmId: id,
    twinId: id,
    resources: resourcesSchema,
    location: z.object({ city: hexText, country: hexText, latitude: hexText, longitude: hexText }),
    publicConfig: publicConfigSchema.nullable(),
    certification: z.string(),
    secureBoot: z.boolean(),
    virtualized: z.boolean(),
  })
  .passthrough()
  .transform((n) => ({
    id: n.id,
    farmId: n.farmId,
    twinId: n.twinId,
    resources: n.resources,
    location: n.location,
    publicConfig: n.publicConfig,
    certification: n.certification,
  }));
export type Node = z.output<typeof nodeSchema>;

export const farmPublicIpSchema = z.object({ ip: hexText, gateway: hexText, contractId: id });
/** `contractId === 0` ⇔ the IP is free. */
export type FarmPublicIp = z.output<typeof farmPublicIpSchema>;

export const farmSchema = z
  .object({
    id,
    name: hexText,
    twinId: id,
    pricingPolicyId: id,
    publicIps: z.array(farmPublicIpSchema),
    dedicatedFarm: z.boolean(),
  })
  .passthrough()
  .transform((f) => ({
    id: f.id,
    name: f.name,
    twinId: f.twinId,
    pricingPolicyId: f.pricingPolicyId,
    publicIps: f.publicIps,
    dedicatedFarm: f.dedicatedFarm,
  }));
export type Farm = z.output<typeof farmSchema>;

const contractPublicIpSchema = z.object({ ip: hexText, gateway: hexText }).passthrough();

const contractTypeSchema = z.union([
  z.object({
    nodeContract: z.object({
      nodeId: id,
      deploymentHash: hexText,
      deploymentData: hexText,
      publicIps: id,
      publicIpsList: z.array(contractPublicIpSchema),
    }),
  }),
  z.object({ nameContract: z.object({ name: hexText }) }),
  z.object({ rentContract: z.object({ nodeId: id }) }),
]);

/** state: `{created: null}` | `{deleted: cause}` | `{gracePeriod: block}`. */
const contractStateSchema = z.record(z.unknown()).transform((s, ctx) => {
  const k = Object.keys(s)[0];
  if (k === 'created') return { state: 'created' as const };
  if (k === 'deleted') return { state: 'deleted' as const };
  if (k === 'gracePeriod') return { state: 'gracePeriod' as const, since: Number(s[k]) };
  ctx.addIssue({ code: z.ZodIssueCode.custom, message: `unknown contract state ${JSON.stringify(s)}` });
  return z.NEVER;
});

export const contractSchema = z
  .object({
    contractId: id,
    twinId: id,
    state: contractStateSchema,
    contractType: contractTypeSchema,
    solutionProviderId: id.nullable(),
  })
  .passthrough()
  .transform((c) => {
    const base = { contractId: c.contractId, twinId: c.twinId, state: c.state.state, solutionProviderId: c.solutionProviderId };
    const t = c.contractType;
    if ('nodeContract' in t) {
      const n = t.nodeContract;
      return {
        ...base,
        type: 'node' as const,
        nodeId: n.nodeId,
        deploymentHash: n.deploymentHash,
        deploymentData: n.deploymentData,
        publicIps: n.publicIps,
        publicIpsList: n.publicIpsList.map((p) => ({ ip: p.ip, gateway: p.gateway })),
      };
    }
    if ('nameContract' in t) return { ...base, type: 'name' as const, name: t.nameContract.name };
    return { ...base, type: 'rent' as const, nodeId: t.rentContract.nodeId };
  });
export type Contract = z.output<typeof contractSchema>;
export type NodeContract = Extract<Contract, { type: 'node' }>;
export type NameContract = Extract<Contract, { type: 'name' }>;
export type RentContract = Extract<Contract, { type: 'rent' }>;

export const nodeContractResourcesSchema = z.object({ contractId: id, used: resourcesSchema }).passthrough();
