/**
 * `HubFlist` SDK wiring under `pulumi.runtime.setMocks` (pulumi-notes.md §3a): its type token, the default base
 * name from the resource name, the image reference passed through, and its outputs.
 */
import * as pulumi from '@pulumi/pulumi';

const registered: { type: string; name: string; inputs: Record<string, unknown> }[] = [];
pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      registered.push({ type: args.type, name: args.name, inputs: args.inputs });
      const id = `sha256:${'e5'.repeat(32)}`;
      const flistName = `${String(args.inputs.baseName)}-${'e5'.repeat(6)}`;
      return { id: `flist-${args.name}`, state: { ...args.inputs, imageId: id, flistName, url: `${String(args.inputs.hubUrl)}/pulumi/${flistName}.flist`, md5: 'm', state: 'ok' } };
    },
    call: (args) => args.inputs,
  },
  'proj',
  'dev',
  false,
);

import { HubFlist } from './hub-flist';

const out = <T>(o: pulumi.Output<T>): Promise<T> => new Promise((r) => o.apply(r));

describe('HubFlist (sdk)', () => {
  it('registers a tfgrid dynamic resource named after the resource, with the image passed through', async () => {
    const fl = new HubFlist('my app', { image: pulumi.output('tfgrid-docker-app:abc'), hubUrl: 'http://127.0.0.1:8090' });
    expect(await out(fl.url)).toBe(`http://127.0.0.1:8090/pulumi/my-app-${'e5'.repeat(6)}.flist`);
    const reg = registered.find((r) => r.name === 'my app')!;
    expect(reg.type).toBe('pulumi-nodejs:dynamic/tfgrid:HubFlist');
    expect(reg.inputs).toMatchObject({ image: 'tfgrid-docker-app:abc', hubUrl: 'http://127.0.0.1:8090', baseName: 'my-app' });
    expect(String(reg.inputs.__provider).length).toBeLessThan(4000);
  });

  it('takes an explicit base name, repo and docker host', async () => {
    const fl = new HubFlist('b', { image: 'x:1', hubUrl: 'http://h', repo: 'me', baseName: 'web', dockerHost: 'tcp://127.0.0.1:2375' });
    expect(await out(fl.flistName)).toBe(`web-${'e5'.repeat(6)}`);
    expect(registered.find((r) => r.name === 'b')!.inputs).toMatchObject({ repo: 'me', baseName: 'web', dockerHost: 'tcp://127.0.0.1:2375' });
  });
});
