/** gateway-fqdn-proxy: a user domain proxied to backends. zos-protocol.md §1.5 (gateways), §2.4, §4, §6.5. */
import { goString, goStruct } from '../go-json';
import { gatewayBaseChallenge, gatewayBaseShape, validateGatewayBase } from './gateway-base';
import { capacity, NOT_UPDATABLE, type WorkloadKind } from './kind';

export const GATEWAY_FQDN_PROXY = 'gateway-fqdn-proxy';
const FQDN = /^([a-zA-Z0-9-_]+\.)+[a-zA-Z0-9-_]{2,}$/;

export const gatewayFqdnProxyDataSchema = goStruct('zos.GatewayFQDNProxy', { fqdn: goString(), ...gatewayBaseShape });
export type GatewayFqdnProxyData = ReturnType<typeof gatewayFqdnProxyDataSchema.parse>;

/** Go `GatewayFQDNResult` is an empty struct: `{}`. */
export const gatewayFqdnResultSchema = goStruct('zos.GatewayFQDNResult', {});
export type GatewayFqdnResult = ReturnType<typeof gatewayFqdnResultSchema.parse>;

export const gatewayFqdnProxy = {
  type: GATEWAY_FQDN_PROXY as typeof GATEWAY_FQDN_PROXY,
  goType: '*zos.GatewayFQDNProxy',
  sharable: false,
  data: gatewayFqdnProxyDataSchema,
  result: gatewayFqdnResultSchema,
  challenge: (d, w) => {
    w.str(d.fqdn);
    gatewayBaseChallenge(d, w);
  },
  validate: (d) => (FQDN.test(d.fqdn) ? validateGatewayBase(d) : `fqdn ${d.fqdn} is invalid`),
  capacity: () => capacity(),
  update: NOT_UPDATABLE,
} satisfies WorkloadKind<GatewayFqdnProxyData, GatewayFqdnResult>;
