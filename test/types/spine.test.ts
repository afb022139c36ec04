/**
 * The typed spine (issue 17): `protocol/zos/types/<type>.ts` is the one home of a workload's data type, and both the
 * provider's mapping and the node's manager are typed by it. The type-level half is checked by `tsc` (tsconfig
 * includes test/): a `// @ts-expect-error` line fails the build when the error it expects does not happen, so each
 * one below proves that the zmachine schema with one more required field is refused where it must be. The jest
 * half checks the same contract on values: both sides cover exactly the schema's fields.
 */
import { goString, goStruct } from '../../protocol/zos/go-json';
import { WORKLOAD_KINDS as PROTOCOL_KINDS, zmachineDataShape, zmachineDataSchema, type WorkloadType, type ZMachineData, type ZMachineLightData } from '../../protocol/zos/types';
import { MACHINE_DATA_HANDLING } from '../../node/engine/managers/zmachine';
import type { FieldHandling, Manager } from '../../node/engine/managers/manager';
import { TYPED_MANAGERS } from '../../node/engine/managers';
import { zmachineData, zmachineKind, type ZMachineInputs } from '../../provider/resources/zmachine';
import type { WORKLOAD_KINDS as PROVIDER_KINDS } from '../../provider/kinds';
import { checkWorkload } from '../../provider/workload-resource';

/** The zmachine data schema with one more required field, as a newcomer would add it. */
const extendedSchema = goStruct('zos.ZMachine', { ...zmachineDataShape, new_field: goString() });
type Extended = ReturnType<typeof extendedSchema.parse>;
/** The light machine with the same field (the provider maps to either). */
type ExtendedLight = ZMachineLightData & { new_field: string };

type Mapping<D> = (inputs: ZMachineInputs, prepared: Record<string, unknown>) => D;

// ---- provider: the resource's mapping returns the protocol's type ----
const providerToday: Mapping<ZMachineData | ZMachineLightData> = zmachineData;
// @ts-expect-error the provider's mapping does not produce new_field: adding it to the schema fails the build there
const providerExtended: Mapping<Extended | ExtendedLight> = zmachineData;
// The same through the resource table the provider serves.
const kindToday: Mapping<ZMachineData | ZMachineLightData> = zmachineKind.toWire;
// @ts-expect-error the ZMachine resource's toWire is the same mapping
const kindExtended: Mapping<Extended | ExtendedLight> = zmachineKind.toWire;

// ---- node: the manager is typed by the same data, and says what it does with every field ----
const nodeToday: FieldHandling<ZMachineData> = MACHINE_DATA_HANDLING;
// @ts-expect-error the zmachine manager does not handle new_field: adding it to the schema fails the build there
const nodeExtended: FieldHandling<Extended> = MACHINE_DATA_HANDLING;
// The manager in the table takes the protocol's ZMachineData (not a re-declared copy) ...
const managerData: Parameters<(typeof TYPED_MANAGERS)['zmachine']['provision']>[1] extends ZMachineData ? true : false = true;
// ... and a typed manager is not what the engine calls: only typedDispatch (the table) makes one of it.
// @ts-expect-error Manager<'zmount'> takes ZMountData, the engine's Manager takes data of any type
const untypedCall: Manager = TYPED_MANAGERS.zmount;

// ---- every provider resource names its wire type, so its toWire is checked against that type's data ----
type Narrow<K> = K extends { workloadType: infer T } ? (WorkloadType extends T ? false : true) : false;
const everyKindNarrow: { [K in keyof typeof PROVIDER_KINDS]: Narrow<(typeof PROVIDER_KINDS)[K]> } = {
  ZMount: true,
  Volume: true,
  PublicIp: true,
  ZMachine: true,
  Zdb: true,
  Qsfs: true,
  NameProxy: true,
  FqdnProxy: true,
  ZLogs: true,
};

describe('typed spine: zmachine data from the protocol to the provider and the node', () => {
  const decodedKeys = Object.keys(zmachineDataSchema.parse({})).sort();

  it('the node manager says what it does with exactly the fields of the zmachine schema', () => {
    expect(Object.keys(MACHINE_DATA_HANDLING).sort()).toEqual(decodedKeys);
  });

  it('the provider maps a machine to exactly the fields of the zmachine schema, and the node accepts the result', () => {
    const { inputs, failures } = checkWorkload(zmachineKind as never, undefined, {
      node: 1,
      deployment: 'proj.dev',
      name: 'vm',
      flist: 'https://hub.grid.tf/tf-official-apps/base:latest.flist',
      network: { name: 'net1' },
      cpu: 1,
      memory: '1GiB',
    });
    expect(failures).toEqual([]);
    const data = zmachineData(inputs as ZMachineInputs, { privateIp: '10.20.2.5' });
    expect(Object.keys(data).sort()).toEqual(decodedKeys);
    expect(PROTOCOL_KINDS.zmachine.data.parse(data)).toEqual(data);
  });

  it('holds the type-level checks above (tsc checks them; here they are values)', () => {
    const checked = [providerToday, providerExtended, kindToday, kindExtended, nodeToday, nodeExtended, managerData, untypedCall, everyKindNarrow];
    expect(checked.every((c) => c !== undefined)).toBe(true);
  });

  it('a schema with one more required field decodes data the provider does not produce', () => {
    // What the type errors above stand for at run time: the field would silently take its zero value.
    expect(extendedSchema.parse({}).new_field).toBe('');
  });
});
