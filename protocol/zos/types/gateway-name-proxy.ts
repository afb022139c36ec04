/** gateway-name-proxy: `<name>.<node domain>` proxied to backends. zos-protocol.md §1.5 (gateways), §2.4, §4, §6.5. */
import { goString, goStruct } from '../go-json';
import { gatewayBaseChallenge, gatewayBaseShape, validateGatewayBase } from './gateway-base';
import { capacity, NOT_UPDATABLE, type WorkloadKind } from './kind';

export const GATEWAY_NAME_PROXY = 'gateway-name-proxy';
const NAME = /^[a-zA-Z0-9-_]+$/;

export const gatewayNameProxyDataSchema = goStruct('zos.GatewayNameProxy', { name: goString(), ...gatewayBaseShape });
export type GatewayNameProxyData = ReturnType<typeof gatewayNameProxyDataSchema.parse>;

export const gatewayProxyResultSchema = goStruct('zos.GatewayProxyResult', { fqdn: goString() });
export type GatewayProxyResult = ReturnType<typeof gatewayProxyResultSchema.parse>;

export const gatewayNameProxy = {
  type: GATEWAY_NAME_PROXY as typeof GATEWAY_NAME_PROXY,
  goType: '*zos.GatewayNameProxy',
  sharable: false,
  data: gatewayNameProxyDataSchema,
  result: gatewayProxyResultSchema,
  challenge: (d, w) => {
    w.str(d.name);
    gatewayBaseChallenge(d, w);
  },
  validate: (d) => (NAME.test(d.name) ? validateGatewayBase(d) : `name ${d.name} is invalid`),
  capacity: () => capacity(),
  update: NOT_UPDATABLE,
} satisfies WorkloadKind<GatewayNameProxyData, GatewayProxyResult>;
