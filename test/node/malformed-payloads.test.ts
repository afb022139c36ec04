/**
 * Malformed input (issue 5 "done when"): 200+ broken payloads — truncated JSON, wrong types, huge numbers,
 * unknown fields, 10 MB strings, deep nesting, binary — sent to every command of the node API. Every one is
 * answered (an error where the payload matters, the normal reply where ZOS ignores the payload), nothing
 * throws past the API edge, and the node keeps serving valid deployments afterwards.
 */
import { dispatch } from '../../node/api/routes';
import { brokenPayloads } from './broken-payloads';
import { buildDeployment, NODE_ID, SAMPLE, signedPayload, startSimNode, testIdentity, type SimNodeHarness } from './fixtures';

const alice = testIdentity(1);
const ALICE = 7;

/** Commands whose reply depends on the payload (the others ignore it, as ZOS does). */
const READS_PAYLOAD = new Set([
  'zos.deployment.deploy',
  'zos.deployment.update',
  'zos.deployment.get',
  'zos.deployment.changes',
  'zos.network.list_private_ips',
  'zos.perf.get',
  'zos.debug.deployment.get',
  'zos.debug.deployment.history',
]);

/**
 * Whether the node must refuse this payload on this command. Deployments must be refused except the two
 * with ignorable unknown fields; commands reading a small struct must refuse what is not a JSON object
 * (Go ignores unknown keys, so a deployment sent to `get` is read as `{contract_id}`).
 */
function mustFail(command: string, label: string): boolean {
  if (command === 'zos.deployment.deploy') return !/^unknown fields [01]$/.test(label);
  if (command === 'zos.deployment.update') return true;
  if (!READS_PAYLOAD.has(command)) return false;
  return /^(truncated|random bytes|nested)/.test(label) || /^literal "(|\[|\{\\"a\\":|\}\{|0|true|NaN|undefined|\\"\\"|\[\])"$/.test(label);
}

describe('node API under malformed payloads', () => {
  let h: SimNodeHarness;

  beforeAll(async () => {
    h = await startSimNode('tfg-malformed-', { [ALICE]: alice });
  });
  afterAll(async () => {
    await h.close();
  });

  it('has at least 200 broken payloads', () => {
    expect(brokenPayloads().length).toBeGreaterThanOrEqual(200);
  });

  it('answers every broken payload on every command and keeps serving', async () => {
    const payloads = brokenPayloads();
    let answered = 0;
    let errors = 0;
    for (const command of Object.keys(h.routes)) {
      let bigSent = 0;
      for (const p of payloads) {
        // 10 MB payloads: all of them to deploy and get, one to every other command (keeps the run short)
        if (p.big && command !== 'zos.deployment.deploy' && command !== 'zos.deployment.get' && ++bigSent > 1) continue;
        const r = await dispatch(h.routes, command, ALICE, p.text);
        answered++;
        if (r.ok) {
          expect([command, p.label, mustFail(command, p.label) ? 'unexpected success' : 'ok']).not.toContain('unexpected success');
          expect(() => JSON.parse(r.body)).not.toThrow();
        } else {
          errors++;
          expect(typeof r.error).toBe('string');
          expect(r.error.length).toBeGreaterThan(0);
          expect(r.error.length).toBeLessThan(4096); // never echoes a 10 MB payload back
        }
      }
    }
    expect(answered).toBeGreaterThanOrEqual(200 * Object.keys(h.routes).length * 0.9);
    expect(errors).toBeGreaterThan(200 * READS_PAYLOAD.size * 0.9);
    // only the deployment with ignorable unknown fields was stored, and a valid deployment still goes through
    expect(h.engine.deployments(ALICE).map((x) => x.contractId)).toEqual([92n]);
    const d = buildDeployment(ALICE, 91n, [SAMPLE.disk]);
    h.chain.contractFor(d, NODE_ID);
    const r = await dispatch(h.routes, 'zos.deployment.deploy', ALICE, signedPayload(d, alice));
    expect(r).toEqual({ ok: true, body: 'null' });
    await h.engine.idle();
    expect((JSON.parse(h.engine.get(ALICE, 91n)) as { workloads: { result: { state: string } }[] }).workloads[0].result.state).toBe('ok');
  });
});
