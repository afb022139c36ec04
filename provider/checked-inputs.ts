/**
 * What a resource's `diff` compares against (issue 22). A dynamic provider's `diff` receives the previous
 * *outputs*, not the previous inputs, and our outputs are the inputs plus what the grid reported, so an output
 * named like an input (NodePicker's chosen `farmId` against its `farmId` filter) read as a changed input on every
 * `up`. The fix is by design, for every resource type: create and update store the checked inputs they were given
 * under their own key, `__inputs`, next to the outputs, and every `diff` compares the new checked inputs with
 * those, never with an output. No output can shadow an input again, whatever a resource names its outputs.
 *
 * `__inputs` holds input values, some of them secret, so the SDK marks it secret on every resource
 * (`sdk/placement.ts` `secretOpts`). Stacks written before `__inputs` existed have none: their previous inputs are
 * read from the outputs by input name, as before (`previousInputs`), and the next update writes `__inputs`.
 *
 * Pulumi state written here: add fields, never rename.
 * @module
 */

/** The output key holding the checked inputs a resource was created or last updated with. */
export const INPUTS_KEY = '__inputs';

type Props = Record<string, unknown>;

/** `outs` with the checked inputs they came from recorded under `__inputs` (without the serialized provider). */
export function withCheckedInputs<T extends Props>(outs: T, inputs: Props): T & { [INPUTS_KEY]: Props } {
  const { __provider: _p, [INPUTS_KEY]: _nested, ...plain } = inputs;
  void _p;
  void _nested;
  return { ...outs, [INPUTS_KEY]: JSON.parse(JSON.stringify(plain)) as Props };
}

/**
 * The checked inputs a resource's previous outputs were made from: `__inputs` when present, otherwise (state
 * written before it existed) the outputs' values of the given input keys. `outputsBefore` are input keys that
 * were only outputs when such state was written (a generated `myceliumSeed`, later also an input): that state's
 * value is what was generated, not what the user gave, so it is not read as a previous input.
 */
export function previousInputs(olds: Props, keys: readonly string[], outputsBefore: readonly string[] = []): { inputs: Props; recorded: boolean } {
  const rec = olds[INPUTS_KEY];
  if (rec && typeof rec === 'object' && !Array.isArray(rec)) return { inputs: rec as Props, recorded: true };
  const inputs: Props = {};
  for (const k of keys) if (olds[k] !== undefined && !outputsBefore.includes(k)) inputs[k] = olds[k];
  return { inputs, recorded: false };
}
