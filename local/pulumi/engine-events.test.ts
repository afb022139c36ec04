import { errorsOf, stepsOf, type EngineEventLike } from './engine-events';

const pre = (op: string, type: string, name: string): EngineEventLike => ({
  resourcePreEvent: { metadata: { op, type, urn: `urn:pulumi:dev::p::${type}::${name}` } },
});

describe('engine events', () => {
  it('one step per resource, a replacement as one replace, the stack and default providers left out', () => {
    const events = [
      pre('create', 'pulumi:pulumi:Stack', 'p-dev'),
      pre('create', 'pulumi:providers:pulumi-nodejs', 'default'),
      pre('same', 'pulumi-nodejs:dynamic/tfgrid:Network', 'net'),
      pre('create-replacement', 'pulumi-nodejs:dynamic/tfgrid:ZMachine', 'vm'),
      pre('replace', 'pulumi-nodejs:dynamic/tfgrid:ZMachine', 'vm'),
      pre('delete-replaced', 'pulumi-nodejs:dynamic/tfgrid:ZMachine', 'vm'),
      pre('delete', 'pulumi-nodejs:dynamic/tfgrid:Zdb', 'db'),
    ];
    expect(stepsOf(events)).toEqual([
      { op: 'same', type: 'tfgrid:Network', name: 'net' },
      { op: 'replace', type: 'tfgrid:ZMachine', name: 'vm' },
      { op: 'delete', type: 'tfgrid:Zdb', name: 'db' },
    ]);
  });

  it("errors: the resource's message with its type and name, no stack frames, the engine's summary only when alone", () => {
    const diag = (urn: string | undefined, message: string): EngineEventLike => ({ diagnosticEvent: { urn, message, severity: 'error' } });
    const events = [
      diag('urn:pulumi:dev::p::pulumi-nodejs:dynamic/tfgrid:Zdb::db', 'node 1 said no\n    at f (/x.js:1:2)\n'),
      diag('urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev', 'update failed'),
      { diagnosticEvent: { message: 'just a warning', severity: 'warning' } },
    ];
    expect(errorsOf(events)).toEqual(['tfgrid:Zdb db: node 1 said no']);
    expect(errorsOf([diag('urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev', 'update failed')])).toEqual(['update failed']);
  });
});
