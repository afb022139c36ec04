/**
 * The GitOps example (examples/gitops): the workflow previews on pull requests and applies on main against a
 * disposable local grid, and its deploy commands do that on the shared grid (through the Pulumi CLI):
 * preview creates nothing, up creates the web app, which then answers on its public IP from a laptop namespace.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { planTopology, createLaptop, execInNamespace, removeLaptop } from '../../local/topology/topology';
import { ensureE2eGrid, e2eGridDir } from './shared-grid';

jest.setTimeout(300_000);
const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'tfgrid');

function tfgrid(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, CI: 'true' }, maxBuffer: 32 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

interface Step {
  name?: string;
  run?: string;
  if?: string;
  uses?: string;
}

interface Workflow {
  on: { pull_request?: unknown; push?: { branches: string[] } };
  concurrency?: { group?: string; 'cancel-in-progress'?: boolean };
  jobs: { deploy: { env?: Record<string, string>; steps: Step[] } };
}

const workflow = (file: string) => YAML.parse(fs.readFileSync(path.join(ROOT, 'examples', 'gitops', '.github', 'workflows', file), 'utf8')) as Workflow;

describe('examples/gitops', () => {
  const wf = workflow('pulumi.yml');
  const steps = wf.jobs.deploy.steps;
  const runOf = (cond: RegExp) => steps.find((s) => s.if && cond.test(s.if))?.run ?? '';

  it('previews on pull requests and applies on main between grid up and an always-run grid down', () => {
    expect(wf.on.pull_request).toBeDefined();
    expect(wf.on.push?.branches).toEqual(['main']);
    expect(runOf(/pull_request/)).toMatch(/examples\/gitops\/pipeline\.sh preview "\$STACK_DIR"$/);
    expect(runOf(/push/)).toMatch(/examples\/gitops\/pipeline\.sh up "\$STACK_DIR"$/);
    expect(fs.statSync(path.join(ROOT, 'examples', 'gitops', 'pipeline.sh')).mode & 0o111).not.toBe(0);
    const names = steps.map((s) => s.run ?? '');
    const upAt = names.findIndex((r) => r.includes('tfgrid local up'));
    const downAt = names.findIndex((r) => r.includes('tfgrid local down'));
    expect(upAt).toBeGreaterThan(-1);
    expect(downAt).toBeGreaterThan(upAt);
    expect(steps[downAt].if).toBe('always()');
  });

  it('the real-network variant keeps its state in a durable backend, secrets from the repository, one run at a time', () => {
    const real = workflow('pulumi-real-network.yml');
    const job = real.jobs.deploy;
    const runs = job.steps.map((st) => st.run ?? '');
    const text = runs.join('\n');
    expect(real.on.pull_request).toBeDefined();
    expect(real.on.push?.branches).toEqual(['main']);
    // never a state on the runner, nor a local grid
    expect(text).not.toMatch(/--local\b|file:\/\/|tfgrid local/);
    const login = runs.find((r) => /pulumi login /.test(r)) ?? '';
    expect(login).toContain('pulumi login "$PULUMI_STATE_URL"');
    expect(login).toMatch(/s3:\/\/\*/); // refuses anything but a durable backend
    expect(job.env?.PULUMI_STATE_URL).toMatch(/^\$\{\{ vars\./);
    // the passphrase, the mnemonic and the backend's keys come from secrets, never from the file
    for (const key of ['PULUMI_CONFIG_PASSPHRASE', 'TFGRID_MNEMONIC', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
      expect(job.env?.[key]).toMatch(/^\$\{\{ secrets\.\w+ \}\}$/);
    }
    expect(text).toContain('pulumi config set --secret tfgrid:mnemonic "$TFGRID_MNEMONIC"');
    expect(text).toContain('pulumi config set tfgrid:network "$TFGRID_NETWORK"');
    expect(text).toMatch(/pulumi stack select "\$STACK"/);
    expect(text).not.toMatch(/stack select[^\n]*--create|stack init/); // a missing stack fails, never starts empty
    const stepOf = (cond: RegExp) => job.steps.find((st) => st.if && cond.test(st.if) && /pulumi (preview|up)/.test(st.run ?? ''))?.run ?? '';
    expect(stepOf(/pull_request/)).toMatch(/pulumi preview --diff/);
    expect(stepOf(/push/)).toMatch(/pulumi up --yes/);
    // the login comes before any stack command
    expect(runs.findIndex((r) => r.includes('pulumi login'))).toBeLessThan(runs.findIndex((r) => r.includes('stack select')));
    // two runs never overlap on the stack, and a running `up` is never cancelled half-way
    expect(real.concurrency?.group).toBeTruthy();
    expect(real.concurrency?.['cancel-in-progress']).toBe(false);
  });

  it('runs the pipeline on a grid: preview creates nothing, up deploys the web app reachable on its public IP', async () => {
    const grid = await ensureE2eGrid();
    const dir = e2eGridDir();
    const preview = await tfgrid(['local', 'deploy', 'examples/web-app', '--preview', '--stack', 'ci', '--dir', dir]);
    expect(preview.stderr).toMatch(/preview \S+web-app \(stack ci\) through the Pulumi CLI/);
    expect(preview.stderr).toContain('Previewing update (ci)'); // the CLI's own progress, streamed
    expect(preview.code).toBe(0);
    expect(preview.stdout).toMatch(/create {3}tfgrid:ZMachine web/);
    expect(preview.stdout).not.toContain('Outputs:');

    const up = await tfgrid(['local', 'deploy', 'examples/web-app', '--stack', 'ci', '--dir', dir]);
    expect(up.code).toBe(0);
    const publicIp = /publicIp: "([\d.]+)\/\d+"/.exec(up.stdout)?.[1];
    expect(publicIp).toMatch(/^198\.18\.1\.\d+$/);
    // The NodePicker found a node with a gateway domain (and a free public IPv4, room for the machine and disk).
    expect(up.stdout).toMatch(/url: "http:\/\/web\.node\d+\.tfgrid\.test"/);

    if (grid.backend === 'linux') {
      const plan = planTopology({ prefix: grid.prefix, nodes: grid.nodes.length, farms: [] });
      const laptop = await createLaptop(plan, 7);
      try {
        const page = await execInNamespace(laptop.netns, 'curl', ['-sS', '-m', '10', '--retry', '5', '--retry-connrefused', `http://${publicIp}/`]);
        expect(page).toContain('hello from pulumi-tfgrid');
      } finally {
        await removeLaptop(laptop);
      }
    }

    const again = await tfgrid(['local', 'deploy', 'examples/web-app', '--stack', 'ci', '--dir', dir]);
    expect(again.stdout).not.toMatch(/^\s+(create|update|replace|delete)\s/m);
    const down = await tfgrid(['local', 'deploy', 'examples/web-app', '--destroy', '--stack', 'ci', '--dir', dir]);
    expect(down.code).toBe(0);
    expect(down.stdout.match(/delete {3}/g)).toHaveLength(6); // 5 resources and the NodePicker
  });
});
