/**
 * Behaviour suite for every GatewayBackend (docs/style.md §3, §6): the §6.5 provision checks with their
 * exact ZOS texts, §1.5 backend re-validation, domain uniqueness across twins, idempotency, removal.
 * @module
 */
import type { GatewayBackend, GatewayDeps, GatewayNodeConfig, NameContractStatus, NameProxySpec, FqdnProxySpec } from './gateway';
import { suiteIt, type SuiteOptions } from '../suite-options';

/** What the suite controls: name contracts and DNS answers, which it injects as deps. */
export interface GatewaySuiteWorld {
  contracts: Map<string, NameContractStatus>;
  dns: Map<string, string[]>;
  networks: Set<string>;
}

export const SUITE_NODE: GatewayNodeConfig = { domain: 'gw1.grid.local', publicIPs: ['10.100.0.11', 'fd00::11'] };

export function suiteDeps(world: GatewaySuiteWorld): GatewayDeps {
  return {
    checkNameContract: async (name) => world.contracts.get(name) ?? { exists: false },
    resolveHost: async (fqdn) => world.dns.get(fqdn.toLowerCase()) ?? [],
    checkNetwork: async (twin, network) => {
      if (!world.networks.has(`${twin}/${network}`)) throw new Error(`network ${network} not found`);
    },
  };
}

export function describeGatewayBackend(name: string, make: (deps: GatewayDeps, node: GatewayNodeConfig) => Promise<GatewayBackend>, opts: SuiteOptions = {}): void {
  const t = suiteIt(opts.differs);
  const nameSpec = (over: Partial<NameProxySpec> = {}): NameProxySpec => ({
    workloadId: '7-12-web',
    twinId: 7,
    name: 'web',
    tlsPassthrough: false,
    backends: ['http://10.20.2.2:8080'],
    ...over,
  });
  const fqdnSpec = (over: Partial<FqdnProxySpec> = {}): FqdnProxySpec => ({
    workloadId: '7-12-site',
    twinId: 7,
    fqdn: 'site.example.test',
    tlsPassthrough: false,
    backends: ['http://10.20.2.2'],
    ...over,
  });

  describe(`gateway backend: ${name}`, () => {
    let world: GatewaySuiteWorld;
    let gw: GatewayBackend;
    beforeEach(async () => {
      world = {
        contracts: new Map([
          ['web', { exists: true, twinId: 7, state: 'Created' }],
          ['graced', { exists: true, twinId: 7, state: 'GracePeriod' }],
          ['gone', { exists: true, twinId: 7, state: 'Deleted' }],
          ['other', { exists: true, twinId: 8, state: 'Created' }],
        ]),
        dns: new Map([
          ['site.example.test', ['10.100.0.11']],
          ['v6.example.test', ['fd00::11']],
          ['elsewhere.example.test', ['10.100.0.99']],
        ]),
        networks: new Set(['7/net1']),
      };
      gw = await make(suiteDeps(world), SUITE_NODE);
    });
    afterEach(async () => {
      await gw.close();
    });

    t('serves a name proxy at <name>.<node domain>', async () => {
      expect(await gw.addNameProxy(nameSpec())).toEqual({ fqdn: 'web.gw1.grid.local' });
      expect(await gw.addNameProxy(nameSpec({ workloadId: '7-12-g', name: 'graced' }))).toEqual({ fqdn: 'graced.gw1.grid.local' });
      expect(gw.routes().map((r) => [r.workloadId, r.kind, r.fqdn])).toEqual([
        ['7-12-web', 'name', 'web.gw1.grid.local'],
        ['7-12-g', 'name', 'graced.gw1.grid.local'],
      ]);
    });

    t('serves an FQDN proxy whose name resolves to the node, over v4 or v6', async () => {
      expect(await gw.addFqdnProxy(fqdnSpec())).toEqual({});
      expect(await gw.addFqdnProxy(fqdnSpec({ workloadId: '7-12-v6', fqdn: 'v6.example.test' }))).toEqual({});
      expect(gw.routes().map((r) => r.fqdn)).toEqual(['site.example.test', 'v6.example.test']);
    });

    t('is idempotent for the same workload and refuses the same domain for any other workload or twin', async () => {
      await gw.addNameProxy(nameSpec());
      await expect(gw.addNameProxy(nameSpec())).resolves.toEqual({ fqdn: 'web.gw1.grid.local' });
      await gw.addFqdnProxy(fqdnSpec());
      world.contracts.set('web', { exists: true, twinId: 9, state: 'Created' });
      await expect(gw.addNameProxy(nameSpec({ workloadId: '9-40-web', twinId: 9 }))).rejects.toThrow(/^domain already registered: web\.gw1\.grid\.local$/);
      await expect(gw.addFqdnProxy(fqdnSpec({ workloadId: '9-40-site', twinId: 9 }))).rejects.toThrow(/^domain already registered: site\.example\.test$/);
    });

    t('frees the domain on remove, and removing twice is fine', async () => {
      await gw.addNameProxy(nameSpec());
      await gw.remove('7-12-web');
      await gw.remove('7-12-web');
      expect(gw.routes()).toEqual([]);
      await expect(gw.addNameProxy(nameSpec({ workloadId: '7-13-web' }))).resolves.toEqual({ fqdn: 'web.gw1.grid.local' });
    });

    t('accepts a private backend when the twin has the network, and refuses an unknown network', async () => {
      await expect(gw.addNameProxy(nameSpec({ network: 'net1' }))).resolves.toEqual({ fqdn: 'web.gw1.grid.local' });
      await expect(gw.addFqdnProxy(fqdnSpec({ network: 'nope' }))).rejects.toThrow(/^failed to get user network: network nope not found$/);
    });

    // One row per rule: the ZOS text, byte for byte (§1.5, §6.5).
    const refusals: Array<[string, (g: GatewayBackend) => Promise<unknown>, string]> = [
      ['name contract missing', (g) => g.addNameProxy(nameSpec({ name: 'nobody' })), 'failed to verify name contract: a name contract with the given name must be reserved first'],
      ['name contract not Created or GracePeriod', (g) => g.addNameProxy(nameSpec({ name: 'gone' })), 'failed to verify name contract: the name contract must be in Created or GracePeriod state'],
      ['name contract of another twin', (g) => g.addNameProxy(nameSpec({ name: 'other' })), 'failed to verify name contract: twin id mismatch'],
      ['invalid name', (g) => g.addNameProxy(nameSpec({ name: 'we b' })), 'name we b is invalid'],
      ['invalid fqdn', (g) => g.addFqdnProxy(fqdnSpec({ fqdn: 'nodot' })), 'fqdn nodot is invalid'],
      ['fqdn under the node domain', (g) => g.addFqdnProxy(fqdnSpec({ fqdn: 'x.gw1.grid.local' })), "can't create a fqdn workload with a subdomain of the gateway's managed domain"],
      ['fqdn resolving elsewhere', (g) => g.addFqdnProxy(fqdnSpec({ fqdn: 'elsewhere.example.test' })), "failed to verify domain dns record: host doesn't point to the gateway ip"],
      ['fqdn not in DNS', (g) => g.addFqdnProxy(fqdnSpec({ fqdn: 'unknown.example.test' })), 'failed to verify domain dns record: lookup unknown.example.test: no such host'],
      ['empty backends', (g) => g.addNameProxy(nameSpec({ backends: [] })), 'backends list can not be empty'],
      ['https backend', (g) => g.addNameProxy(nameSpec({ backends: ['https://10.20.2.2'] })), "failed to validate backend 'https://10.20.2.2': scheme expected to be http"],
      ['loopback backend', (g) => g.addNameProxy(nameSpec({ backends: ['http://127.0.0.1:80'] })), "failed to validate backend 'http://127.0.0.1:80': invalid ip address in backend: 127.0.0.1"],
      ['host name backend', (g) => g.addNameProxy(nameSpec({ backends: ['http://example.com'] })), "failed to validate backend 'http://example.com': invalid ip address in backend: example.com"],
      [
        'passthrough backend without port',
        (g) => g.addNameProxy(nameSpec({ tlsPassthrough: true, backends: ['10.20.2.2'] })),
        "failed to validate backend '10.20.2.2': failed to parse backend 10.20.2.2 with error: failed to parse backend 10.20.2.2 with error: address 10.20.2.2: missing port in address",
      ],
      [
        'passthrough backend with a host name',
        (g) => g.addNameProxy(nameSpec({ tlsPassthrough: true, backends: ['host:443'] })),
        "failed to validate backend 'host:443': failed to parse backend host:443 with error: invalid ip",
      ],
      [
        'passthrough port above 65535',
        (g) => g.addNameProxy(nameSpec({ tlsPassthrough: true, backends: ['10.20.2.2:70000'] })),
        "failed to validate backend '10.20.2.2:70000': failed to parse backend 10.20.2.2:70000 with error: port '70000' must be <= 65535",
      ],
      ['backend on the node public IP', (g) => g.addNameProxy(nameSpec({ backends: ['http://10.100.0.11:8080'] })), "backend http://10.100.0.11:8080 points to the node's own public IP address"],
    ];
    for (const [rule, call, text] of refusals) {
      t(`refuses: ${rule}`, async () => {
        const err = await call(gw).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(Error);
        expect((err as Error).message).toBe(text);
        expect(gw.routes()).toEqual([]);
      });
    }

    t('refuses name proxies on a node without a domain', async () => {
      await gw.close();
      gw = await make(suiteDeps(world), { publicIPs: ['10.100.0.11'] });
      await expect(gw.addNameProxy(nameSpec())).rejects.toThrow(/^node doesn't support name proxy \(doesn't have a domain\)$/);
      await expect(gw.addFqdnProxy(fqdnSpec())).resolves.toEqual({});
    });
  });
}
