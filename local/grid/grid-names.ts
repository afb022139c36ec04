/**
 * Names inside one local grid that its parts agree on: the farm's name, a node's gateway domain, a node's backend
 * prefix. grid.ts re-exports them (its public surface); up-steps.ts uses them without importing grid.ts.
 * @module
 */

export const FARM_NAME = 'localfarm';

/** Gateway domain of node `index`: `node<index>.<gateway domain>`. */
export function nodeDomain(index: number, gatewayDomain: string): string {
  return `node${index}.${gatewayDomain}`;
}

/** The name prefix one node's Linux backends use (netns, wireguard, cgroups): `<grid prefix><index base 36>`. */
export function nodePrefix(gridPrefix: string, index: number): string {
  return `${gridPrefix}${index.toString(36)}`;
}
