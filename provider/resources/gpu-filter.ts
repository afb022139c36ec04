/**
 * The GPU card filters of `NodePicker` and `findNodes()` (issue 15): the grid proxy's `gpu_vendor_name`,
 * `gpu_device_name`, `gpu_vendor_id`, `gpu_device_id` and `gpu_available` (tfgrid-sdk-go grid-proxy `NodeFilter`),
 * and the same test on a node's cards: one card must satisfy every filter given; names and ids match when they
 * contain the value in any case (ids against the card id `<pci slot>/<vendor id>/<device id>`, as upstream compares
 * them); `gpuAvailable` = the card is bound to no contract. Pure.
 *
 *   gpuQuery({ gpuVendorName: 'nvidia', gpuAvailable: true }) // → { gpu_vendor_name: 'nvidia', gpu_available: true }
 * @module
 */
import { z } from 'zod';

/** One GPU card of a node, as the grid proxy lists it (`/nodes/{id}/gpu`, a `/nodes` item's `gpus`). */
export interface GpuCard {
  id: string;
  vendor: string;
  device: string;
  /** The contract using the card, 0 for none. */
  contract: number;
}

export const gpuCardSchema = z.object({ id: z.string(), vendor: z.string().default(''), device: z.string().default(''), contract: z.number().default(0) }).passthrough();

const text = (what: string, example: string) =>
  z.string().min(1, `cannot be empty (fix: leave it out, or e.g. "${example}")`).optional().describe(`Only nodes with a GPU whose ${what} contains this (any case), e.g. "${example}".`);

/** The zod fields, spread into the node filter schema. */
export const gpuFilterFields = {
  gpuVendorName: text('vendor name', 'NVIDIA'),
  gpuDeviceName: text('device name', 'A100'),
  gpuVendorId: text('PCI vendor id', '10de'),
  gpuDeviceId: text('PCI device id', '20b0'),
  gpuAvailable: z.boolean({ invalid_type_error: 'must be true or false (fix: gpuAvailable: true)' }).default(false).describe('Only nodes with a GPU that no contract uses.'),
};

export interface GpuFilter {
  gpuVendorName?: string;
  gpuDeviceName?: string;
  gpuVendorId?: string;
  gpuDeviceId?: string;
  gpuAvailable: boolean;
}

export const GPU_CARD_FILTERS = ['gpuVendorName', 'gpuDeviceName', 'gpuVendorId', 'gpuDeviceId', 'gpuAvailable'] as const;

/** The card filters `f` sets. */
export function gpuFiltersSet(f: GpuFilter): (typeof GPU_CARD_FILTERS)[number][] {
  return GPU_CARD_FILTERS.filter((k) => (k === 'gpuAvailable' ? f.gpuAvailable : f[k] !== undefined));
}

/** The grid proxy parameters of the card filters (unset ones undefined, dropped by the encoder). */
export function gpuQuery(f: GpuFilter): Record<string, string | boolean | undefined> {
  return {
    gpu_vendor_name: f.gpuVendorName,
    gpu_device_name: f.gpuDeviceName,
    gpu_vendor_id: f.gpuVendorId,
    gpu_device_id: f.gpuDeviceId,
    gpu_available: f.gpuAvailable || undefined,
  };
}

function cardFits(c: GpuCard, f: GpuFilter): boolean {
  const has = (field: string, v: string | undefined) => v === undefined || field.toLowerCase().includes(v.toLowerCase());
  return has(c.vendor, f.gpuVendorName) && has(c.device, f.gpuDeviceName) && has(c.id, f.gpuVendorId) && has(c.id, f.gpuDeviceId) && (!f.gpuAvailable || c.contract === 0);
}

/**
 * Why a node with `count` GPUs and these `cards` fails the card filters, or undefined. `cards` undefined (a proxy
 * that lists no card details on its node items) leaves the cards to the proxy's own filter.
 */
export function gpuReason(count: number, cards: GpuCard[] | undefined, f: GpuFilter): string | undefined {
  const set = gpuFiltersSet(f);
  if (set.length === 0) return undefined;
  if (count === 0) return 'no GPU';
  if (!cards || cards.some((c) => cardFits(c, f))) return undefined;
  const wanted = [
    f.gpuVendorName && `vendor "${f.gpuVendorName}"`,
    f.gpuDeviceName && `device "${f.gpuDeviceName}"`,
    f.gpuVendorId && `vendor id "${f.gpuVendorId}"`,
    f.gpuDeviceId && `device id "${f.gpuDeviceId}"`,
    f.gpuAvailable && 'free',
  ].filter(Boolean);
  return `no ${wanted.join(', ')} GPU (has ${cards.map((c) => `${c.vendor} ${c.device}${c.contract ? ` used by contract ${c.contract}` : ''}`).join('; ')})`;
}
