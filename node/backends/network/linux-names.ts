/**
 * Machine-wide names of one node's network objects on Linux (see linux.ts's header): all start with the node's
 * prefix, except names inside our own namespaces. `cleanupAll` looks for the same names after a crash.
 * @module
 */
import { createHash } from 'crypto';

const short = (s: string, n: number) => createHash('sha256').update(s).digest('hex').slice(0, n);

/** Names this node uses on the machine (also what cleanupAll looks for). */
export function networkNames(prefix: string) {
  return {
    nrNetns: (netId: string) => `${prefix}-nr-${netId}`,
    machineNetns: (machine: string) => `${prefix}-m-${short(machine, 12)}`,
    wg: (netId: string) => `${prefix}w${short(netId, 8)}`,
    macvlan: (machine: string) => `${prefix}p${short(machine, 8)}`,
    /** host-side end of the NR's overlay (400::/7, 200::/7) link */
    overlay: (netId: string) => `${prefix}o${short(netId, 8)}`,
    veth: (machine: string) => `v${short(machine, 10)}`,
    tap: (machine: string) => `t${short(machine, 10)}`,
    /** a VM's second tap, on the public network (in the NR namespace) */
    publicTap: (machine: string) => `q${short(machine, 10)}`,
    isOurs: (netns: string) => netns.startsWith(`${prefix}-nr-`) || netns.startsWith(`${prefix}-m-`),
  };
}

export type NetworkNames = ReturnType<typeof networkNames>;
