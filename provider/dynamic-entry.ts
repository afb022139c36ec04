/**
 * What the serialized shims (`provider/shim.ts`) call in the plugin process: dispatch by resource type to the
 * workload kinds, Network, NodePicker and HubFlist; errors change shape here only (style.md §4): an InputError in check
 * becomes a check failure, a partially created resource becomes `{id, properties, reasons}` (pulumi-notes.md §2.5).
 * @module
 */
import type * as pulumi from '@pulumi/pulumi';
import { InputError, TfgridError, errorText } from '../protocol/common/errors';
import { workloadKind } from './kinds';
import { checkHubFlist, createHubFlist, deleteHubFlist, diffHubFlist, readHubFlist, updateHubFlist } from './resources/hub-flist';
import { checkNetwork, createNetwork, deleteNetwork, diffNetwork, readNetwork, updateNetwork } from './resources/network';
import { checkRentContract, createRentContract, deleteRentContract, diffRentContract, readRentContract } from './resources/rent-contract';
import { checkNodePicker, createNodePicker, diffNodePicker, previewNodePicker, updateNodePicker } from './resources/node-picker';
import { previewCapacityCheck, previewNodeCheck, previewRuntime } from './preview-check';
import { addConfigSource } from './runtime';
import { accountOf } from './account';
import { containsUnknown } from './inputs';
import { PartialCreateError, checkWorkload, liveCheckWorkload, liveCheckUpdateWorkload, createWorkload, deleteWorkload, diffWorkloadLive, readWorkload, updateWorkload } from './workload-resource';

type Props = Record<string, unknown>;

export function configure(get: (key: string) => string | undefined): void {
  addConfigSource(get);
}

function unknownType(type: string): never {
  throw new InputError(`unknown tfgrid resource type "${type}"`);
}

/** `TFGRID_DEBUG=1` keeps JavaScript stack traces on errors; users see the message, the field and the fix only. */
function debug(): boolean {
  return /^(1|true|yes)$/i.test(process.env.TFGRID_DEBUG ?? '');
}

/** One text per error: the message, the field or config key it is about, and the fix (each once). */
export function userText(err: unknown): string {
  let text = errorText(err);
  // A partial create says what is recorded; the fix is its cause's.
  const about = err instanceof PartialCreateError ? err.cause : err;
  if (about instanceof TfgridError) {
    const { path, fix } = about.context;
    if (typeof path === 'string' && path && !text.includes(path)) text += ` (${path})`;
    if (typeof fix === 'string' && fix && !text.includes(fix)) text += `; fix: ${fix}`;
  }
  return text;
}

/**
 * Errors Pulumi shows: partial creates keep their id/properties; the rest become plain Errors with our text. The
 * plugin host prints `${err}: ${err.stack}`; without TFGRID_DEBUG the stack is one line that says how to see it.
 */
function edge(err: unknown): never {
  const out = err instanceof PartialCreateError ? Object.assign(new Error(userText(err)), { id: err.id, properties: err.properties, reasons: err.reasons }) : new Error(userText(err), { cause: err });
  if (!debug()) out.stack = '(stack trace hidden; set TFGRID_DEBUG=1 to show it)';
  else if (err instanceof Error && err.stack) out.stack = err.stack;
  throw out;
}

export async function check(type: string, olds: Props, news: Props): Promise<pulumi.dynamic.CheckResult> {
  if (type === 'Network') return checkNetwork(olds, news);
  if (type === 'NodePicker') {
    const r = checkNodePicker(news);
    if (r.failures.length === 0 && (!olds || Object.keys(olds).length === 0) && !containsUnknown(r.inputs.account)) {
      const conn = await previewRuntime('NodePicker', accountOf(r.inputs));
      if (conn.runtime) await previewNodePicker(r.inputs, conn.runtime.deps);
    }
    return r;
  }
  if (type === 'HubFlist') return checkHubFlist(news);
  if (type === 'RentContract') return checkRentContract(news);
  const kind = workloadKind(type) ?? unknownType(type);
  const r = checkWorkload(kind, olds, news);
  const isNew = !olds || Object.keys(olds).length === 0;
  if (r.failures.length === 0 && isNew) {
    // Connection and node first (one failure, not one per check), then the kind's own live checks.
    const label = `${kind.typeName} "${String(r.inputs.name ?? '?')}"`;
    // An account not known yet (a preview) is not the stack's: its checks wait for `up`.
    if (containsUnknown(r.inputs.account)) return r;
    const conn = await previewRuntime(label, accountOf(r.inputs));
    r.failures.push(...conn.failures);
    if (conn.runtime && r.failures.length === 0) r.failures.push(...(await previewNodeCheck(label, r.inputs, conn.runtime)));
    if (conn.runtime && r.failures.length === 0)
      r.failures.push(...(await previewCapacityCheck(label, kind.typeName, `${String(r.inputs.node)}/${String(r.inputs.deployment)}/${String(r.inputs.name)}`, r.inputs, conn.runtime)));
    if (conn.runtime && r.failures.length === 0) r.failures.push(...(await liveCheckWorkload(kind, r.inputs)));
  } else if (r.failures.length === 0) {
    r.failures.push(...(await liveCheckUpdateWorkload(kind, olds, r.inputs)));
  }
  return r;
}

export async function diff(type: string, _id: string, olds: Props, news: Props): Promise<pulumi.dynamic.DiffResult> {
  if (type === 'Network') return diffNetwork(olds, news);
  if (type === 'NodePicker') return diffNodePicker(olds, news);
  if (type === 'HubFlist') return diffHubFlist(olds, news);
  if (type === 'RentContract') return diffRentContract(olds, news);
  const kind = workloadKind(type) ?? unknownType(type);
  return diffWorkloadLive(kind, olds, news);
}

export async function create(type: string, inputs: Props): Promise<pulumi.dynamic.CreateResult> {
  try {
    if (type === 'Network') return await createNetwork(inputs);
    if (type === 'NodePicker') return await createNodePicker(inputs);
    if (type === 'HubFlist') return await createHubFlist(inputs);
    if (type === 'RentContract') return await createRentContract(inputs);
    const kind = workloadKind(type) ?? unknownType(type);
    return await createWorkload(kind, inputs);
  } catch (err) {
    return edge(err);
  }
}

export async function read(type: string, id: string, props: Props): Promise<pulumi.dynamic.ReadResult> {
  try {
    if (type === 'Network') return await readNetwork(id, props);
    if (type === 'NodePicker') return { id, props };
    if (type === 'HubFlist') return await readHubFlist(id, props);
    if (type === 'RentContract') return await readRentContract(id, props);
    const kind = workloadKind(type) ?? unknownType(type);
    return await readWorkload(kind, id, props);
  } catch (err) {
    // A refresh never fails because one node is down: report what we know.
    return { id, props: { ...props, state: 'unreachable', message: errorText(err) } };
  }
}

export async function update(type: string, _id: string, olds: Props, news: Props): Promise<pulumi.dynamic.UpdateResult> {
  try {
    if (type === 'Network') return await updateNetwork(olds, news);
    if (type === 'NodePicker') return await updateNodePicker(olds, news);
    if (type === 'HubFlist') return updateHubFlist(olds, news);
    if (type === 'RentContract') return { outs: olds }; // every change replaces: nothing to update in place
    const kind = workloadKind(type) ?? unknownType(type);
    return await updateWorkload(kind, olds, news);
  } catch (err) {
    return edge(err);
  }
}

async function del(type: string, _id: string, props: Props): Promise<void> {
  try {
    if (type === 'Network') return await deleteNetwork(props);
    if (type === 'NodePicker') return;
    if (type === 'HubFlist') return await deleteHubFlist(props);
    if (type === 'RentContract') return await deleteRentContract(props);
    const kind = workloadKind(type) ?? unknownType(type);
    return await deleteWorkload(kind, props);
  } catch (err) {
    return edge(err);
  }
}
export { del as delete };
