/**
 * 200+ broken deployment payloads for the malformed-input tests (issue 5): truncated JSON, wrong types, huge
 * numbers, unknown fields, 10 MB strings, deep nesting, binary. Built from a valid deployment signed by
 * `testIdentity(1)` as twin 7 (or another twin, for tests on a real chain).
 * @module
 */
import type { Identity } from '../../protocol/common/identity';
import { buildDeployment, SAMPLE, signedPayload, testIdentity } from './fixtures';

const MB10 = 'x'.repeat(10 * 1024 * 1024);

/** A valid signed deployment as a plain object, to break in many ways. */
function base(twin: number, identity: Identity, contract = 90n): Record<string, unknown> {
  return JSON.parse(signedPayload(buildDeployment(twin, contract, [SAMPLE.disk, SAMPLE.net]), identity)) as Record<string, unknown>;
}

/** Broken payloads, each with a label; big ones (10 MB) are flagged to keep the run short. */
export function brokenPayloads(twin = 7, identity: Identity = testIdentity(1)): { label: string; text: string; big?: boolean }[] {
  const base0 = (contract?: bigint) => base(twin, identity, contract);
  const out: { label: string; text: string; big?: boolean }[] = [];
  const valid = JSON.stringify(base0());
  // truncated JSON at 80 places
  for (let i = 1; i <= 80; i++) {
    const cut = Math.floor((valid.length * i) / 81);
    out.push({ label: `truncated at ${cut}`, text: valid.slice(0, cut) });
  }
  // wrong types in every interesting field
  const badValues: unknown[] = ['x', -1, 1.5, true, [], {}, '12', -2.5];
  const setters: [string, (o: Record<string, unknown>, v: unknown) => void][] = [
    ['version', (o, v) => (o.version = v)],
    ['twin_id', (o, v) => (o.twin_id = v)],
    ['contract_id', (o, v) => (o.contract_id = v)],
    ['workloads', (o, v) => (o.workloads = v)],
    ['signature_requirement', (o, v) => (o.signature_requirement = v)],
    ['workloads[0].data.size', (o, v) => (((o.workloads as Record<string, unknown>[])[0].data as Record<string, unknown>).size = v)],
    ['workloads[0].name', (o, v) => ((o.workloads as Record<string, unknown>[])[0].name = v)],
    ['workloads[0].type', (o, v) => ((o.workloads as Record<string, unknown>[])[0].type = v)],
    ['workloads[1].data.subnet', (o, v) => (((o.workloads as Record<string, unknown>[])[1].data as Record<string, unknown>).subnet = v)],
    ['signatures[0].signature', (o, v) => (((o.signature_requirement as Record<string, unknown>).signatures as Record<string, unknown>[])[0].signature = v)],
  ];
  for (const [field, set] of setters) {
    for (const v of badValues) {
      const o = base0();
      set(o, v);
      out.push({ label: `${field} = ${JSON.stringify(v)}`, text: JSON.stringify(o) });
    }
  }
  // huge numbers (as raw JSON text, beyond uint32/uint64/float)
  const huge = ['4294967296', '18446744073709551616', '99999999999999999999999999999', '1e400', '-0', '1.0'];
  for (const field of ['version', 'twin_id', 'contract_id', 'size', 'weight', 'weight_required']) {
    // contract_id is neither hashed nor signed: any u64 is a valid value there
    for (const h of field === 'contract_id' ? huge.filter((x) => x !== '4294967296') : huge) {
      const re = new RegExp(`"${field}":\\d+`);
      if (re.test(valid)) out.push({ label: `${field} = ${h}`, text: valid.replace(re, `"${field}":${h}`) });
    }
  }
  // unknown fields: Go ignores them (so the first two are accepted, on contract 92), or a case-folded key
  // overrides a real one with an absurd value
  for (const [i, extra] of [{ foo: 1 }, { workloadz: [] }, { VERSION: 'x' }, { Twin_Id: -3 }, { contract_id: 1, contract_Id: 'y' }].entries()) {
    out.push({ label: `unknown fields ${i}`, text: JSON.stringify({ ...base0(92n), ...extra }) });
  }
  // 10 MB strings
  for (const field of ['metadata', 'description']) out.push({ label: `10MB ${field}`, text: JSON.stringify({ ...base0(), [field]: MB10 }), big: true });
  const longName = base0();
  (longName.workloads as Record<string, unknown>[])[0].name = MB10;
  out.push({ label: '10MB workload name', text: JSON.stringify(longName), big: true });
  out.push({ label: '10MB bare string', text: JSON.stringify(MB10), big: true });
  // not a deployment at all
  for (const t of [
    '',
    ' ',
    'null',
    '[]',
    '{}',
    '""',
    '0',
    'true',
    '{"a":',
    '}{',
    '[',
    '\u0000\u0001\u0002',
    '\ud800',
    'NaN',
    'undefined',
    '{"workloads":null}',
    '{"workloads":[null]}',
    '{"workloads":[{"type":"zmount","data":null}]}',
    '{"workloads":[{"type":"zmount"}]}',
  ]) {
    out.push({ label: `literal ${JSON.stringify(t)}`, text: t });
  }
  // deep nesting
  out.push({ label: 'nested 100k arrays', text: '['.repeat(100_000) + ']'.repeat(100_000) });
  out.push({ label: 'nested 100k objects', text: '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000) });
  // random bytes
  for (let i = 0; i < 10; i++) out.push({ label: `random bytes ${i}`, text: Buffer.from(Array.from({ length: 64 + i * 50 }, (_, j) => (j * 7919 + i * 104729) % 256)).toString('latin1') });
  return out;
}
