/**
 * Container machines on the Linux backends (issue 8): deploy→reachable time (attach + runc start until the
 * machine's httpd answers from its network resource) and per-machine memory overhead (the container's memory
 * cgroup usage plus the host-side runner processes: sh + foreground runc), then the start-time cost of the
 * rootfs size cap (zos-protocol.md §6.3 RootSize: a 500 MiB ext4 image, mkfs + loop mount, under the overlay's
 * upper layer) against a plain upper directory, and of a restart (runc delete + run of the kept bundle). Root only.
 *   node -r @swc-node/register bench/machine.bench.ts [machines=8]
 */
import { execFileSync } from 'child_process';
import { promises as fs, readFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildBaseRootfs } from '../local/hub/base-flist';
import { cleanupAll, createLinuxBackends } from '../node/backends/machine/linux-backends';
import { CGROUP_ROOT, machineNames } from '../node/backends/machine/linux';
import { networkId } from '../node/backends/network/network';
import { wgKeyPair } from '../node/backends/network/network.suite';

function rssKiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function treeRssKiB(pid: number): number {
  let sum = rssKiB(pid);
  try {
    for (const t of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) {
      const child = Number(t);
      // stop at the container's own processes (counted by its cgroup)
      if (readFileSync(`/proc/${child}/cgroup`, 'utf8').includes('tfgrid-')) continue;
      sum += treeRssKiB(child);
    }
  } catch {
    /* exited */
  }
  return sum;
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 8);
  const prefix = `b${(process.pid % 1296).toString(36)}`;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tfg-bench-'));
  const hostNetns = `${prefix}-host`;
  execFileSync('ip', ['netns', 'add', hostNetns]);
  const b = createLinuxBackends({ prefix, dataDir: path.join(dir, 'node'), hostNetns });
  try {
    const nr = await b.network.apply({
      netId: networkId(1, 'bench'),
      ipRange: '10.40.0.0/16',
      subnet: '10.40.2.0/24',
      wgPrivateKey: wgKeyPair().privateKey,
      wgListenPort: 24000 + (process.pid % 1000),
      peers: [],
    });
    const flist = await b.flists.resolve(await buildBaseRootfs(path.join(dir, 'base')));
    const times: number[] = [];
    const names = machineNames(prefix);
    const cgroupKiB: number[] = [];
    const hostKiB: number[] = [];
    for (let i = 0; i < n; i++) {
      const id = `1-1-m${i}`;
      const ip = `10.40.2.${10 + i}`;
      const t0 = process.hrtime.bigint();
      const nic = await b.network.attach({ netId: nr.netId, machine: id, ip });
      await b.machines.run({ id, name: `m${i}`, flist, cpu: 1, memory: 256n << 20n, entrypoint: '', env: {}, mounts: [], nic });
      for (;;) {
        try {
          execFileSync('nsenter', [`--net=/run/netns/${nr.netns}`, 'curl', '-s', '-m', '1', '-o', '/dev/null', `http://${ip}/`], { stdio: 'ignore' });
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 10));
        }
      }
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < n; i++) {
      const id = `1-1-m${i}`;
      const usage = Number(readFileSync(path.join(CGROUP_ROOT, 'memory', names.cgroupParent, names.container(id), 'memory.usage_in_bytes'), 'utf8'));
      cgroupKiB.push(usage / 1024);
      const runner = Number(readFileSync(path.join(dir, 'node', 'machines', names.dirName(id), 'runner.pid'), 'utf8'));
      hostKiB.push(treeRssKiB(runner));
    }
    const sorted = [...times].sort((a, c) => a - c);
    const avg = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    console.log(`machines: ${n} busybox containers (httpd), one network resource, load avg ${os.loadavg()[0].toFixed(1)}`);
    console.log(`deploy→reachable ms: min ${sorted[0].toFixed(0)}  median ${sorted[Math.floor(n / 2)].toFixed(0)}  max ${sorted[n - 1].toFixed(0)}`);
    console.log(`memory per machine: container cgroup ${avg(cgroupKiB).toFixed(0)} KiB + host runner (sh + runc) ${avg(hostKiB).toFixed(0)} KiB RSS`);
    for (let i = 0; i < n; i++) await b.machines.remove(`1-1-m${i}`);

    // run() alone, no network: plain upper dir vs a RootSize image, interleaved so load changes hit both alike
    const median = (xs: number[]) => [...xs].sort((a, c) => a - c)[Math.floor(xs.length / 2)];
    const plain: number[] = [];
    const capped: number[] = [];
    const restarts: number[] = [];
    const removeMs: { plain: number[]; capped: number[] } = { plain: [], capped: [] };
    for (let i = 0; i < n; i++) {
      for (const rootSize of [undefined, 500n << 20n]) {
        const id = `1-2-r${i}${rootSize ? 'c' : 'p'}`;
        const t0 = process.hrtime.bigint();
        await b.machines.run({ id, name: `r${i}`, flist, cpu: 1, memory: 256n << 20n, entrypoint: '/bin/sh -c "exit 1"', env: {}, mounts: [], ...(rootSize ? { rootSize } : {}) });
        (rootSize ? capped : plain).push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (rootSize) {
          while ((await b.machines.status(id))?.state !== 'exited') await new Promise((r) => setTimeout(r, 10));
          const t1 = process.hrtime.bigint();
          await b.machines.restart(id);
          restarts.push(Number(process.hrtime.bigint() - t1) / 1e6);
        }
        const t2 = process.hrtime.bigint();
        await b.machines.remove(id);
        (rootSize ? removeMs.capped : removeMs.plain).push(Number(process.hrtime.bigint() - t2) / 1e6);
      }
    }
    const mp = median(plain);
    const mc = median(capped);
    console.log(`run() ms (median of ${n}): plain upper dir ${mp.toFixed(0)}, 500 MiB root image ${mc.toFixed(0)} (+${(mc - mp).toFixed(0)} ms, ×${(mc / mp).toFixed(2)})`);
    console.log(`remove() ms (median): plain ${median(removeMs.plain).toFixed(0)}, with root image ${median(removeMs.capped).toFixed(0)}`);
    console.log(`restart() of an exited container ms (median): ${median(restarts).toFixed(0)}`);
  } finally {
    await b.close();
    await cleanupAll({ prefix, dataDir: path.join(dir, 'node'), hostNetns });
    execFileSync('ip', ['netns', 'del', hostNetns]);
    await fs.rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
