/**
 * The local grid's k3s stand-in flist (`tf/k3s-standin`): the official k3s flist lives on hub.grid.tf, which the
 * local grid never reaches, so examples/kubernetes runs this in its place. The busybox base rootfs plus a
 * `/sbin/zinit` that takes the entrypoint ThreeFold's clients give k3s machines (`/sbin/zinit init`) and, in place
 * of zinit starting k3s from the env (K3S_URL empty: server; set: agent joining that server):
 *
 * - records the env it was started with in `/var/lib/k3s-standin/env` (what the machine's workload asked for);
 * - as a server, answers on the k3s API port 6443 (`k3s stand-in server <K3S_NODE_NAME>`);
 * - as an agent, answers on the kubelet port 10250 and fetches the server's page over plain HTTP (the stand-in has
 *   no TLS) from the host:port of `K3S_URL` until it answers, keeping it in `/var/lib/k3s-standin/joined`;
 * - logs what it did to `/var/lib/k3s-standin/log`;
 * - writes a marker on the data disk (`$K3S_DATA_DIR/k3s-standin`), where k3s would keep its state.
 *
 * @example
 *   await hub.publishDir('tf', 'k3s-standin', await buildK3sStandinRootfs(path.join(tmp, 'k3s-rootfs')));
 * @module
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { buildBaseRootfs, FLIST_PATH } from './base-flist';

/** Where the hub publishes it: `<hub>/tf/k3s-standin.flist`. */
export const K3S_STANDIN_FLIST = { repo: 'tf', name: 'k3s-standin' } as const;
/** The server's page on :6443 starts with this, then the node name. */
export const K3S_STANDIN_SERVER_PAGE = 'k3s stand-in server';
/** Where the stand-in keeps what it recorded. */
export const K3S_STANDIN_STATE = '/var/lib/k3s-standin';

const ZINIT = `#!/bin/sh
# k3s stand-in for the local grid: see local/hub/k3s-flist.ts.
export PATH=${FLIST_PATH}
[ "$1" = init ] || { echo "zinit (k3s stand-in): only 'zinit init' is supported" >&2; exit 1; }
state=${K3S_STANDIN_STATE}
mkdir -p "$state/www"
env | sort > "$state/env"
# what it did, for whoever looks into the machine
exec </dev/null >"$state/log" 2>&1
[ -n "$K3S_DATA_DIR" ] && mkdir -p "$K3S_DATA_DIR" && echo "$K3S_NODE_NAME" > "$K3S_DATA_DIR/k3s-standin"
if [ -z "$K3S_URL" ]; then
  echo "${K3S_STANDIN_SERVER_PAGE} $K3S_NODE_NAME" > "$state/www/index.html"
  httpd -p 6443 -h "$state/www"
else
  echo "k3s stand-in agent $K3S_NODE_NAME" > "$state/www/index.html"
  httpd -p 10250 -h "$state/www"
  hostport=\${K3S_URL#*://}
  hostport=\${hostport%%/*}
  # in the foreground, as an agent keeps dialing its server: the machine's init has no job control to lean on
  until timeout 5 wget -q -O "$state/joined.tmp" "http://$hostport/"; do echo "waiting for $hostport"; sleep 1; done
  mv "$state/joined.tmp" "$state/joined"
  echo "joined $hostport"
fi
exec sleep 2147483647
`;

/** Builds the stand-in rootfs into `dest` (created; must not exist or be empty) and returns `dest`. Needs busybox-static. */
export async function buildK3sStandinRootfs(dest: string, opts: { busybox?: string } = {}): Promise<string> {
  await buildBaseRootfs(dest, opts);
  // The base rootfs links /sbin/init-like applets; zinit is ours alone.
  await fs.rm(path.join(dest, 'sbin/zinit'), { force: true });
  await fs.writeFile(path.join(dest, 'sbin/zinit'), ZINIT, { mode: 0o755 });
  return dest;
}
