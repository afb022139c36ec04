/**
 * ip / ipv4 manager: a public IP from the contract's reserved list (zos-protocol.md §1.5 ip, §4 result,
 * §6.6: `required <n> ips while contract has <m> ip reserved`). The address is attached to the machine by
 * the zmachine manager, which reads this workload's result.
 */
import type { IPData } from '../../../protocol/zos/types';
import type { Manager, ManagerContext } from './manager';

/** `ipv4` is always v4; `ip` when it asks for v4. A view's data was decoded by its own type's schema. */
const isV4 = (type: string, data: unknown) => type === 'ipv4' || (type === 'ip' && (data as IPData).v4);

/** Deterministic v6 SLAAC-style address in the node's public /64 for a workload (`''` without one). */
function ip6For(ctx: ManagerContext): string {
  const v6 = ctx.facts.publicConfig?.ipv6;
  if (!v6) return '';
  const [addr, len] = v6.split('/');
  const prefix = addr.split('::')[0].split(':').slice(0, 4);
  while (prefix.length < 4) prefix.push('0');
  let h = 0;
  for (const ch of ctx.wid) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  const a = (h >>> 16).toString(16);
  const b = (h & 0xffff).toString(16);
  return `${prefix.join(':')}:ff:fe00:${a}:${b}/${len ?? '64'}`;
}

export const ipManager: Manager<'ip' | 'ipv4'> = {
  async provision(ctx, data) {
    const wantV4 = isV4(ctx.workloads.find((w) => w.name === ctx.name)?.type ?? 'ip', data);
    const wantV6 = 'v6' in data && data.v6;
    let ip = '';
    let gateway = '';
    if (wantV4) {
      const c = await ctx.contract();
      const reserved = c && c.type === 'node' ? c.publicIps : [];
      const v4s = ctx.workloads.filter((w) => w.type === 'ipv4' || (w.type === 'ip' && isV4(w.type, w.data)));
      if (v4s.length > reserved.length) throw new Error(`required ${v4s.length} ips while contract has ${reserved.length} ip reserved`);
      const mine = ctx.workloads.find((w) => w.name === ctx.name)?.resultData as { ip?: string } | null | undefined;
      const taken = new Set(
        ctx.workloads
          .filter((w) => w.name !== ctx.name && (w.state === 'ok' || w.state === 'paused'))
          .map((w) => (w.resultData as { ip?: string } | null)?.ip)
          .filter((x): x is string => !!x),
      );
      const pick = reserved.find((r) => r.ip === mine?.ip) ?? reserved.find((r) => !taken.has(r.ip));
      if (!pick) throw new Error(`required ${v4s.length} ips while contract has ${reserved.length} ip reserved`);
      ip = pick.ip;
      gateway = pick.gateway;
    }
    return { ip, ip6: wantV6 ? ip6For(ctx) : '', gateway };
  },
  async deprovision() {
    // The address lives on the machine's interface; the zmachine manager detaches it.
  },
};
