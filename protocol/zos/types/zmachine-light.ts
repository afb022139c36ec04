/**
 * zmachine-light: a VM on a light node; its network has only interfaces and mycelium (no public IP, no
 * planetary). zos-protocol.md §1.5 (zmachine-light), §2.4, §4.
 */
import { goString, goStruct } from '../go-json';
import { capacity, NOT_UPDATABLE, type WorkloadKind } from './kind';
import { machineBodyShape, machineInterfacesChallenge, machineNetworkLinksShape, machineTailChallenge, rootSize, validateMachineNetworkNames, validateMachineResources } from './zmachine';

export const ZMACHINE_LIGHT = 'zmachine-light';

export const zmachineLightDataSchema = goStruct('zos.ZMachineLight', {
  flist: goString(),
  network: goStruct('zos.MachineNetworkLight', machineNetworkLinksShape),
  ...machineBodyShape,
});
export type ZMachineLightData = ReturnType<typeof zmachineLightDataSchema.parse>;

export const zmachineLightResultSchema = goStruct('zos.ZMachineLightResult', {
  id: goString(),
  ip: goString(),
  mycelium_ip: goString(),
  console_url: goString(),
});
export type ZMachineLightResult = ReturnType<typeof zmachineLightResultSchema.parse>;

export const zmachineLight = {
  type: ZMACHINE_LIGHT as typeof ZMACHINE_LIGHT,
  goType: '*zos.ZMachineLight',
  sharable: false,
  data: zmachineLightDataSchema,
  result: zmachineLightResultSchema,
  challenge: (d, w) => {
    w.str(d.flist);
    machineInterfacesChallenge(d, w);
    machineTailChallenge(d, w);
  },
  validate: (d) => validateMachineResources(d) ?? validateMachineNetworkNames(d),
  capacity: (d) => capacity({ cru: BigInt(d.compute_capacity.cpu), mru: d.compute_capacity.memory, sru: rootSize(d) }),
  update: NOT_UPDATABLE,
} satisfies WorkloadKind<ZMachineLightData, ZMachineLightResult>;
