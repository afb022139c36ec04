/**
 * Query parameters as ThreeFold's grid proxy decodes them (gorilla/schema into a Go struct, then its own
 * checks): each endpoint has a fixed set of keys with a type; an empty value counts as absent; a key the
 * endpoint does not know, or a value that does not convert, is a 400 with upstream's exact text, because the
 * Go client retries any non-200 for two minutes and scripts match the text. Pure.
 *
 *   parseQuery(new URLSearchParams('free_mru=1024&status=up'), NODE_KEYS)
 *   // → { ok: true, values: { free_mru: 1024, status: ['up'] } }
 * @module
 */

/** How one key's value(s) decode. */
export type ParamType = 'bool' | 'uint' | 'float' | 'string' | 'strlist' | 'uintlist';
export type ParamSpec = Readonly<Record<string, ParamType>>;
export type ParamValue = boolean | number | string | string[] | number[];
export type ParsedParams = Record<string, ParamValue | undefined>;

/** Accepted on every list endpoint and on `/stats` (ignored there). */
export const PAGING_KEYS = {
  page: 'uint',
  size: 'uint',
  ret_count: 'bool',
  randomize: 'bool',
  sort_by: 'string',
  sort_order: 'string',
  balance: 'float',
} as const satisfies ParamSpec;

export const NODE_KEYS = {
  ...PAGING_KEYS,
  status: 'strlist',
  free_mru: 'uint',
  free_sru: 'uint',
  free_hru: 'uint',
  total_mru: 'uint',
  total_sru: 'uint',
  total_hru: 'uint',
  total_cru: 'uint',
  free_ips: 'uint',
  ipv4: 'bool',
  ipv6: 'bool',
  domain: 'bool',
  has_ipv6: 'bool',
  country: 'string',
  city: 'string',
  farm_name: 'string',
  region: 'string',
  country_contains: 'string',
  city_contains: 'string',
  farm_name_contains: 'string',
  farm_ids: 'uintlist',
  node_ids: 'uintlist',
  excluded: 'uintlist',
  node_id: 'uint',
  twin_id: 'uint',
  owned_by: 'uint',
  certification_type: 'string',
  dedicated: 'bool',
  in_dedicated_farm: 'bool',
  rentable: 'bool',
  rented: 'bool',
  rented_by: 'uint',
  available_for: 'uint',
  rentable_or_rented_by: 'uint',
  has_gpu: 'bool',
  gpu_available: 'bool',
  gpu_device_name: 'string',
  gpu_vendor_name: 'string',
  gpu_device_id: 'string',
  gpu_vendor_id: 'string',
  num_gpu: 'uint',
  healthy: 'bool',
  price_min: 'float',
  price_max: 'float',
  features: 'strlist',
} as const satisfies ParamSpec;

export const FARM_KEYS = {
  ...PAGING_KEYS,
  farm_id: 'uint',
  twin_id: 'uint',
  pricing_policy_id: 'uint',
  name: 'string',
  name_contains: 'string',
  certification_type: 'string',
  stellar_address: 'string',
  dedicated: 'bool',
  free_ips: 'uint',
  total_ips: 'uint',
  node_free_mru: 'uint',
  node_free_hru: 'uint',
  node_free_sru: 'uint',
  node_total_cru: 'uint',
  node_status: 'strlist',
  node_rented_by: 'uint',
  node_available_for: 'uint',
  node_has_gpu: 'bool',
  node_has_ipv6: 'bool',
  node_certified: 'bool',
  node_features: 'strlist',
  country: 'string',
  region: 'string',
} as const satisfies ParamSpec;

export const CONTRACT_KEYS = {
  ...PAGING_KEYS,
  contract_id: 'uint',
  twin_id: 'uint',
  node_id: 'uint',
  farm_id: 'uint',
  type: 'string',
  name: 'string',
  deployment_data: 'string',
  deployment_hash: 'string',
  state: 'strlist',
  number_of_public_ips: 'uint',
  farm_name: 'string',
} as const satisfies ParamSpec;

export const TWIN_KEYS = { ...PAGING_KEYS, twin_id: 'uint', account_id: 'string', relay: 'string', public_key: 'string' } as const satisfies ParamSpec;

export const PUBLIC_IP_KEYS = { ...PAGING_KEYS, farm_ids: 'uintlist', free: 'bool', ip: 'string', gateway: 'string' } as const satisfies ParamSpec;

export const STATS_KEYS = { ...PAGING_KEYS, status: 'strlist' } as const satisfies ParamSpec;

export const BILLS_KEYS = { page: 'uint', size: 'uint', ret_count: 'bool' } as const satisfies ParamSpec;

/** gorilla/schema's boolean converter (strconv.ParseBool, plus `on`). */
const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True', 'on']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);
const UINT = /^[0-9]+$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function convert(type: Exclude<ParamType, 'strlist' | 'uintlist'>, v: string): ParamValue | undefined {
  switch (type) {
    case 'bool':
      return TRUE.has(v) ? true : FALSE.has(v) ? false : undefined;
    case 'uint':
      return UINT.test(v) && Number.isSafeInteger(Number(v)) ? Number(v) : undefined;
    case 'float':
      return FLOAT.test(v) ? Number(v) : undefined;
    case 'string':
      return v;
  }
}

export type ParseResult = { ok: true; values: ParsedParams } | { ok: false; error: string };

/**
 * Decodes `query` against `spec` as upstream does: empty values dropped; a repeated scalar or string list keeps
 * its last occurrence (string lists split on commas); number lists accumulate repeated keys and comma lists.
 */
export function parseQuery(query: URLSearchParams, spec: ParamSpec): ParseResult {
  const raw = new Map<string, string[]>();
  for (const [k, v] of query) {
    if (v === '') continue;
    raw.set(k, [...(raw.get(k) ?? []), v]);
  }
  const errors: string[] = [];
  const values: ParsedParams = {};
  for (const [key, vs] of raw) {
    const type = spec[key];
    if (type === undefined) {
      errors.push(`schema: invalid path "${key}"`);
      continue;
    }
    const bad = () => errors.push(`schema: error converting value for "${key}"`);
    if (type === 'strlist') {
      values[key] = vs[vs.length - 1].split(',');
    } else if (type === 'uintlist') {
      const parts = vs.flatMap((v) => v.split(','));
      const nums = parts.map((p) => convert('uint', p));
      if (nums.some((n) => n === undefined)) bad();
      else values[key] = nums as number[];
    } else {
      const v = convert(type, vs[vs.length - 1]);
      if (v === undefined) bad();
      else values[key] = v;
    }
  }
  if (errors.length > 0) {
    return { ok: false, error: `failed to decode params: ${errors[0]}${errors.length > 1 ? ` (and ${errors.length - 1} other errors)` : ''}` };
  }
  return { ok: true, values };
}
