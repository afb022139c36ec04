/**
 * Throughput of the ZOS protocol core on a 20-workload deployment (zos-protocol.md §2): parse, challenge +
 * md5 hash, sign (hash + ed25519 / sr25519), verify. Run: `node -r @swc-node/register bench/zos.bench.ts`.
 * Prints operations per second and µs per operation; no assertions (tests own correctness).
 * @module
 */
import { performance } from 'perf_hooks';
import nacl from 'tweetnacl';
import { cryptoReady, identityFromSeed } from '../protocol/common/identity';
import { deploymentToJson, hashDeployment, parseDeployment, signDeployment, verifyDeployment, type Deployment } from '../protocol/zos';
import { makeDeployment, NET1, vmData, type RawWorkload } from '../test/fixtures/zos/deployments';

/** 20 workloads: a network, 8 disks, 4 VMs, 3 zdbs, 2 ips, a gateway, a volume. */
function twentyWorkloads(): Deployment {
  const w: RawWorkload[] = [NET1];
  for (let i = 0; i < 8; i++) w.push({ name: `disk${i}`, type: 'zmount', data: { size: (i + 1) * 1024 ** 3 } });
  for (let i = 0; i < 4; i++) {
    w.push({
      name: `vm${i}`,
      type: 'zmachine',
      data: vmData({ mounts: [{ name: `disk${i}`, mountpoint: '/data' }], env: { SSH_KEY: 'ssh-ed25519 AAAA', Z: '1', A: '2' } }, { interfaces: [{ network: 'net1', ip: `10.20.2.${i + 2}` }] }),
    });
  }
  for (let i = 0; i < 3; i++) w.push({ name: `db${i}`, type: 'zdb', data: { size: 1024 ** 3, mode: 'user', password: 'pw', public: true } });
  w.push({ name: 'ip0', type: 'ip', data: { v4: true, v6: true } }, { name: 'ip1', type: 'ip', data: { v4: false, v6: true } });
  w.push({ name: 'gw', type: 'gateway-name-proxy', data: { name: 'app', backends: ['http://10.20.2.2:8080'], network: 'net1' } });
  w.push({ name: 'vol', type: 'volume', data: { size: 1024 ** 3 } });
  return makeDeployment(w);
}

/** Runs `fn` for about `ms` milliseconds; returns operations per second. */
async function rate(fn: () => unknown | Promise<unknown>, ms = 1500): Promise<number> {
  for (let i = 0; i < 20; i++) await fn(); // warm-up
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 10; i++) await fn();
    n += 10;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

async function main(): Promise<void> {
  await cryptoReady();
  const d = twentyWorkloads();
  const text = deploymentToJson(d);
  const ed = identityFromSeed(new Uint8Array(32).fill(1), 'ed25519');
  const sr = identityFromSeed(new Uint8Array(32).fill(2), 'sr25519');
  const signedEd = signDeployment(d, 7, ed);
  const signedSr = signDeployment(d, 7, sr);
  const key = (id: typeof ed) => async () => id.publicKey;

  const rows: [string, number][] = [
    ['parse JSON (20 workloads)', await rate(() => parseDeployment(text))],
    ['hash (challenge + md5)', await rate(() => hashDeployment(d))],
    ['sign ed25519 (hash + sign)', await rate(() => signDeployment(d, 7, ed))],
    ['sign sr25519 (hash + sign)', await rate(() => signDeployment(d, 7, sr))],
    ['verify ed25519', await rate(() => verifyDeployment(signedEd, key(ed)))],
    ['verify sr25519', await rate(() => verifyDeployment(signedSr, key(sr)))],
  ];
  // The pure-JS path the fast one replaces, for scale.
  const naclKey = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(1)).secretKey;
  const naclSign = await rate(() => nacl.sign.detached(new Uint8Array(16), naclKey), 1000);
  process.stdout.write(`zos bench: deployment of ${d.workloads.length} workloads, ${text.length} bytes of JSON\n`);
  for (const [name, ops] of rows) {
    process.stdout.write(`${name.padEnd(30)} ${ops.toFixed(0).padStart(8)} ops/s  ${(1e6 / ops).toFixed(1).padStart(8)} µs/op\n`);
  }
  const hash = rows[1][1];
  process.stdout.write(`${'tweetnacl ed25519 sign only'.padEnd(30)} ${naclSign.toFixed(0).padStart(8)} ops/s  ${(1e6 / naclSign).toFixed(1).padStart(8)} µs/op\n`);
  process.stdout.write(
    `ratios: hash/sign-ed25519 ${(hash / rows[2][1]).toFixed(2)}, sign-ed25519/sign-sr25519 ${(rows[2][1] / rows[3][1]).toFixed(2)}, ` +
      `node:crypto sign (with hash) / tweetnacl sign ${(rows[2][1] / naclSign).toFixed(1)}\n`,
  );
}

void main();
