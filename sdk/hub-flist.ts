/**
 * `HubFlist`: a local docker image converted to a flist on a flist hub (DESIGN.md §4 Flists, zos-protocol.md §6.3),
 * so a ZMachine can run an app image built with `@pulumi/docker` (examples/docker-app). The provider runs
 * `docker save` and uploads the image with the hub's `?from=docker` conversion; see provider/resources/hub-flist.ts.
 * @module
 */
import * as pulumi from '@pulumi/pulumi';
import { makeShim } from '../provider/shim';
import { hubFlistOutputDocs } from '../provider/resources/hub-flist';
import { MODULE, secretOpts, secretOutputs, type ExpectNone, type Undeclared } from './placement';

export interface HubFlistArgs {
  /**
   * The image on the docker engine: `name[:tag]`, an image id, or `@pulumi/docker`'s `Image.imageName` (which
   * carries the image id, so the flist follows every rebuild).
   */
  image: pulumi.Input<string>;
  /** The hub's base URL, e.g. the local grid's `http://127.0.0.1:8090`. */
  hubUrl: pulumi.Input<string>;
  /** Hub repository (user name on hub.grid.tf). Default `pulumi`. */
  repo?: pulumi.Input<string>;
  /** Flist base name; the file is `<baseName>-<12 hex of the image id>.flist`. Default: the resource name. */
  baseName?: pulumi.Input<string>;
  /** Docker engine to read the image from (`unix:///path/docker.sock`); default: `DOCKER_HOST` of the provider. */
  dockerHost?: pulumi.Input<string>;
}

/**
 * A flist made from a local docker image. A new image id (a rebuild) replaces it, which replaces the machines
 * that use its `url`; `pulumi destroy` deletes it from the hub.
 * @example
 * const img = new docker.Image("app", { imageName: "tfgrid-docker-app", build: "./app", skipPush: true });
 * const fl = new tfgrid.HubFlist("app", { image: img.imageName, hubUrl: "http://127.0.0.1:8090" });
 * const vm = new tfgrid.ZMachine("app", { node: 1, network: net, flist: fl.url, cpu: 1, memory: "256MiB" });
 */
export class HubFlist extends pulumi.dynamic.Resource {
  /** The flist URL machines use. */
  declare readonly url: pulumi.Output<string>;
  /** `<baseName>-<12 hex>` (without `.flist`). */
  declare readonly flistName: pulumi.Output<string>;
  /** The hub's md5 of the flist archive. */
  declare readonly md5: pulumi.Output<string>;
  /** The image id (`sha256:<hex>`) the flist was made from. */
  declare readonly imageId: pulumi.Output<string>;
  /** `ok`, or `gone` after a refresh found the hub without it. */
  declare readonly state: pulumi.Output<string>;

  constructor(name: string, args: HubFlistArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Record<string, unknown> = {
      image: args.image,
      hubUrl: args.hubUrl,
      repo: args.repo,
      baseName: args.baseName ?? name.replace(/[^A-Za-z0-9_.-]/g, '-'),
      dockerHost: args.dockerHost,
      imageId: undefined,
    };
    for (const k of Object.keys(hubFlistOutputDocs)) props[k] = undefined;
    super(makeShim('HubFlist'), name, props, secretOpts(opts, secretOutputs(hubFlistOutputDocs)), MODULE, 'HubFlist');
  }
}

// Every provider output is declared on the class (fails `tsc` naming the one that is not).
export type HubFlistOutputsDeclared = ExpectNone<Undeclared<HubFlist, keyof typeof hubFlistOutputDocs>>;
