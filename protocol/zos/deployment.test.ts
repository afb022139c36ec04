/** The JSON codec read with Go's rules (zos-protocol.md §0.1, §1.1–§1.3). */
import { DeploymentDecodeError, deploymentToJson, hashDeployment, parseDeployment, parseResultData } from './index';
import { parseJsonExact } from './go-json';
import { makeDeployment, rawDeployment } from '../../test/fixtures/zos/deployments';

const zm = (data: unknown) => rawDeployment([{ name: 'd', type: 'zmount', data }]);
const decodeError = (input: unknown): string => {
  try {
    parseDeployment(input);
  } catch (err) {
    expect(err).toBeInstanceOf(DeploymentDecodeError);
    return (err as Error).message;
  }
  throw new Error('expected a decode error');
};

describe('parseDeployment', () => {
  it('keeps sizes above 2^53 exact from JSON text', () => {
    const text = JSON.stringify(zm({ size: 1 })).replace('"size":1', '"size":18446744073709551615');
    const d = parseDeployment(text);
    expect(d.workloads[0].type === 'zmount' && d.workloads[0].data.size).toBe(18446744073709551615n);
    expect(deploymentToJson(d)).toContain('"size":18446744073709551615');
  });

  it('matches keys case-insensitively; of two keys for one field the later wins, as Go decodes in order', () => {
    const upper = parseDeployment(rawDeployment([{ name: 'd', type: 'zmount', data: { SIZE: 5 } }], { Twin_Id: 9 }));
    expect(upper.twin_id).toBe(9);
    expect(upper.workloads[0].data).toEqual({ size: 5n });
    const both = parseDeployment(rawDeployment([{ name: 'd', type: 'zmount', data: { size: 7, Size: 5 } }]));
    expect(both.workloads[0].data).toEqual({ size: 5n });
  });

  it('ignores unknown keys, and they do not change the hash', () => {
    const a = makeDeployment([{ name: 'd', type: 'zmount', data: { size: 5 } }]);
    const b = makeDeployment([{ name: 'd', type: 'zmount', data: { size: 5, extra: 'x' } }], { whatever: 1 });
    expect(hashDeployment(a)).toBe(hashDeployment(b));
  });

  it('gives missing and null fields Go zero values', () => {
    const d = parseDeployment({ twin_id: 3, workloads: [{ name: 'd', type: 'zmount', data: { size: null } }] });
    expect(d.version).toBe(0);
    expect(d.contract_id).toBe(0n);
    expect(d.signature_requirement).toEqual({ requests: [], weight_required: 0, signatures: [], signature_style: '' });
    expect(d.workloads[0].data).toEqual({ size: 0n });
    expect(d.workloads[0].result).toEqual({ created: 0, state: '', message: '', data: null });
  });

  it('accepts an RFC 3339 expiration and converts it to unix seconds', () => {
    expect(parseDeployment(zm({ size: 1 }) && { ...zm({ size: 1 }), expiration: '2021-07-16T00:15:39Z' }).expiration).toBe(1626394539);
    expect(parseDeployment({ ...zm({ size: 1 }), expiration: '2021-07-16T02:15:39+02:00' }).expiration).toBe(1626394539);
  });

  it.each([
    ['a fraction', '1.5', "failed to load data into object of type '*zos.ZMount': json: cannot unmarshal number 1.5 into Go struct field ZMount.size of type gridtypes.Unit"],
    ['an exponent', '1e3', "failed to load data into object of type '*zos.ZMount': json: cannot unmarshal number 1e3 into Go struct field ZMount.size of type gridtypes.Unit"],
    ['a negative', '-1', "failed to load data into object of type '*zos.ZMount': json: cannot unmarshal number -1 into Go struct field ZMount.size of type gridtypes.Unit"],
    ['a string', '"10"', "failed to load data into object of type '*zos.ZMount': json: cannot unmarshal string into Go struct field ZMount.size of type gridtypes.Unit"],
    [
      'above uint64',
      '18446744073709551616',
      "failed to load data into object of type '*zos.ZMount': json: cannot unmarshal number 18446744073709551616 into Go struct field ZMount.size of type gridtypes.Unit",
    ],
  ])('refuses %s as a size with the node text', (_what, literal, text) => {
    expect(decodeError(JSON.stringify(zm({ size: 1 })).replace('"size":1', `"size":${literal}`))).toBe(text);
  });

  it('refuses a cpu above 255 (uint8)', () => {
    const raw = rawDeployment([{ name: 'vm', type: 'zmachine', data: { compute_capacity: { cpu: 256, memory: 1 } } }]);
    expect(decodeError(raw)).toBe("failed to load data into object of type '*zos.ZMachine': json: cannot unmarshal number 256 into Go struct field MachineCapacity.compute_capacity.cpu of type uint8");
  });

  it.each([
    ['a bad IP', { interfaces: [{ network: 'n', ip: '10.1.2' }] }, 'invalid IP address: 10.1.2'],
    ['an IPv4 with a leading zero', { interfaces: [{ network: 'n', ip: '010.1.2.3' }] }, 'invalid IP address: 010.1.2.3'],
    ['an odd-length seed', { interfaces: [], mycelium: { network: 'n', hex_seed: 'abc' } }, 'encoding/hex: odd length hex string'],
    ['a non-hex seed', { interfaces: [], mycelium: { network: 'n', hex_seed: 'zz' } }, "encoding/hex: invalid byte: U+007A 'z'"],
  ])('refuses %s in zmachine data with the Go text', (_what, network, inner) => {
    const raw = rawDeployment([{ name: 'vm', type: 'zmachine', data: { network } }]);
    expect(decodeError(raw)).toBe(`failed to load data into object of type '*zos.ZMachine': ${inner}`);
  });

  it('refuses a bad CIDR in network data', () => {
    const raw = rawDeployment([{ name: 'n', type: 'network', data: { ip_range: '10.0.0.0/40' } }]);
    expect(decodeError(raw)).toBe("failed to load data into object of type '*zos.Network': invalid CIDR address: 10.0.0.0/40");
  });

  it('names the unknown type, missing data and null data', () => {
    expect(decodeError(rawDeployment([{ name: 'x', type: 'vm', data: {} }]))).toBe("invalid reservation type 'vm'");
    const missing = rawDeployment([{ name: 'x', type: 'zdb', data: {} }]);
    delete ((missing.workloads as Record<string, unknown>[])[0] as { data?: unknown }).data;
    expect(decodeError(missing)).toBe("failed to load data into object of type '*zos.ZDB': unexpected end of JSON input");
    expect(decodeError(rawDeployment([{ name: 'x', type: 'zdb', data: null }]))).toMatch(/^failed to load data into object of type '\*zos.ZDB': /);
  });

  it('reports an earlier Valid() error before a later undecodable workload, as the node does', () => {
    const raw = rawDeployment([
      { name: 'bad-name', type: 'zmount', data: { size: 1 } },
      { name: 'x', type: 'zmount', data: { size: 'big' } },
    ]);
    expect(decodeError(raw)).toBe("name 'bad-name' is invalid: unsupported character in workload name");
  });

  it('carries the field path of a decode error', () => {
    try {
      parseDeployment(rawDeployment([NET_OK, { name: 'vm', type: 'zmachine', data: { network: { interfaces: [{ ip: 'x' }] } } }]));
      throw new Error('expected failure');
    } catch (err) {
      expect((err as DeploymentDecodeError).context.path).toBe('workloads[1].data.network.interfaces[0].ip');
    }
  });

  it('refuses invalid JSON text and a non-object', () => {
    expect(decodeError('{"version": }')).toMatch(/^invalid JSON: /);
    expect(decodeError('[]')).toBe('json: cannot unmarshal array into Go value of type gridtypes.Deployment');
    expect(decodeError({ version: '1' })).toBe('json: cannot unmarshal string into Go struct field Deployment.version of type uint32');
  });

  it('refuses an unknown result state', () => {
    const raw = rawDeployment([{ name: 'd', type: 'zmount', data: { size: 1 } }]);
    (raw.workloads as Record<string, unknown>[])[0].result = { state: 'running' };
    expect(decodeError(raw)).toBe('invalid result state');
  });
});

const NET_OK = { name: 'n', type: 'network', data: { ip_range: '10.0.0.0/16', subnet: '10.0.1.0/24', wireguard_private_key: 'k' } };

describe('deploymentToJson', () => {
  it('writes Go field order with exact integers and canonical IPs, and parses back to the same hash', () => {
    const d = makeDeployment([{ name: 'vm', type: 'zmachine', data: { network: { interfaces: [{ network: 'n', ip: '::ffff:10.0.1.2' }] }, compute_capacity: { cpu: 1, memory: 1073741824 } } }]);
    const json = deploymentToJson(d);
    expect(json.startsWith('{"version":0,"twin_id":7,"contract_id":1234,"metadata":"","description":"","expiration":0,"signature_requirement":')).toBe(true);
    expect(json).toContain('"ip":"10.0.1.2"');
    expect(json).toContain('"memory":1073741824');
    expect(hashDeployment(parseDeployment(json))).toBe(hashDeployment(d));
  });
});

describe('parseResultData', () => {
  it('reads zdb results with capitalised keys', () => {
    expect(parseResultData('zdb', { Namespace: '7-1-db', IPs: ['2a02::1'], Port: 9900 })).toEqual({ Namespace: '7-1-db', IPs: ['2a02::1'], Port: 9900 });
  });
  it('reads the deprecated ygg_ip of zmachine results as planetary_ip', () => {
    expect(parseResultData('zmachine', { id: 'x', ip: '10.0.1.2', ygg_ip: '300::1' })).toEqual({
      id: 'x',
      ip: '10.0.1.2',
      planetary_ip: '300::1',
      mycelium_ip: '',
      console_url: '',
    });
  });
  it('reads ip results as canonical CIDRs and null for networks', () => {
    expect(parseResultData('ip', { ip: '185.206.122.40/24', ip6: '', gateway: '185.206.122.1' })).toEqual({
      ip: '185.206.122.40/24',
      ip6: '',
      gateway: '185.206.122.1',
    });
    expect(parseResultData('network', null)).toBeNull();
  });
});

describe('parseJsonExact', () => {
  it('keeps integers past 2^53 exact and refuses nothing JSON.parse would accept', () => {
    const v = parseJsonExact('{"a":"x\\"1.5e3","b":9007199254740993,"c":[1,2]}') as { a: string; b: { value: string }; c: unknown[] };
    expect(v.a).toBe('x"1.5e3');
    expect(v.b.value).toBe('9007199254740993');
    expect(parseJsonExact('{"ip":"10.1.2.3","n":12}')).toEqual({ ip: '10.1.2.3', n: 12 });
  });
  it('hands fractions, exponents and negatives to the exact parser so Go-invalid integers stay visible', () => {
    for (const lit of ['1.0', '1e3', '-1', '01']) {
      const text = JSON.stringify(zm({ size: 1 })).replace('"size":1', `"size":${lit}`);
      expect(() => parseDeployment(text)).toThrow(DeploymentDecodeError);
    }
  });
  it('lets the last of duplicate keys win, as Go does', () => {
    const d = parseDeployment(JSON.stringify(zm({ size: 1 })).replace('"size":1', '"size":1,"size":2'));
    expect(d.workloads[0].data).toEqual({ size: 2n });
  });
});

describe('zod schemas', () => {
  it('deploymentSchema decodes typed workloads and reports an unknown type at its path', async () => {
    const { deploymentSchema, workloadSchema } = await import('./index');
    const ok = deploymentSchema.safeParse(zm({ size: 3 }));
    expect(ok.success && ok.data.workloads[0].data).toEqual({ size: 3n });
    const bad = workloadSchema.safeParse({ name: 'x', type: 'vm', data: {} });
    expect(bad.success).toBe(false);
    if (!bad.success) expect(bad.error.issues[0]).toMatchObject({ message: "invalid reservation type 'vm'", path: ['type'] });
  });
  it('re-reads an already typed deployment (bigints included) unchanged', () => {
    const d = makeDeployment([
      { name: 'd', type: 'zmount', data: { size: 5 } },
      { name: 'z', type: 'zdb', data: { size: 1, mode: 'seq' } },
    ]);
    const again = parseDeployment(d);
    expect(again).toEqual(d);
    expect(hashDeployment(again)).toBe(hashDeployment(d));
  });
});
