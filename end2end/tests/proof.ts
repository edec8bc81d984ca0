// What the two proofs with real daemons share (ha-proof.spec.ts: keepalived and agents;
// ovn-proof.spec.ts: keepalived and OVN): a run directory with its own copy of the server
// binary, the programs it starts and stops by process group, the REST calls, waiting for a
// condition with the time it took, the measured lines, and signing in.

import { expect, type Page } from '@playwright/test';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { appendFileSync, chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { hydrated } from './helpers';

export const root = resolve(__dirname, '../..');
export const keepalived = '/usr/sbin/keepalived';
export const isRoot = process.getuid?.() === 0;
/** Six letters or digits naming a run's namespaces and IDs. */
export const runId = () => Math.random().toString(36).slice(2, 8).replace(/[^a-z0-9]/g, 'x');

/** A VM of a proof: its place in the binding order, its inventory ID and name, its address. */
export interface LabVm {
  n: number;
  id: string;
  name: string;
  ip: string;
}

export class ProofRun {
  /** Root-owned and outside /tmp: keepalived refuses a notify script others may write to. */
  dir = '';
  private processes = new Map<string, ChildProcess>();
  private measured: string[] = [];

  constructor(private title: string) {}

  /** Makes the run's directory with its own copy of the server binary. */
  open(prefix: string) {
    this.dir = mkdtempSync(`/run/${prefix}-`);
    copyFileSync(join(root, 'target/debug/havip'), this.havip());
    chmodSync(this.havip(), 0o755);
  }

  havip() {
    return join(this.dir, 'havip');
  }

  database() {
    return ['--data-dir', join(this.dir, 'data')];
  }

  /** Runs an admin command of the server on the run's database. */
  cli(args: string[], input?: string): string {
    return execFileSync(this.havip(), [...args, ...this.database()], { input, encoding: 'utf8' });
  }

  /**
   * Starts a program in a process group of its own, so that a signal reaches all of it.
   * PROOF_LOGS=DIR keeps what each one prints.
   */
  start(name: string, program: string, args: string[], env: Record<string, string> = {}) {
    const child = spawn(program, args, {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, RUST_LOG: 'info', ...env },
    });
    let log = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-4000);
      if (process.env.PROOF_LOGS) appendFileSync(join(process.env.PROOF_LOGS, `${name}.log`), `${Date.now()} ${chunk}`);
    });
    child.on('exit', (code, signal) => {
      if (this.processes.get(name) === child && code !== 0 && signal === null) console.log(`${name} exited with ${code}: ${log}`);
    });
    this.processes.set(name, child);
    return child;
  }

  /** Sends a signal to a started program's process group; answers when it is gone. */
  signal(name: string, sig: NodeJS.Signals): Promise<unknown> {
    const child = this.processes.get(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    const gone = new Promise((done) => child.once('exit', done));
    process.kill(-child.pid!, sig);
    this.processes.delete(name);
    return gone;
  }

  /** keepalived for a VM, in its namespace, with the files of the VM's directory. */
  startKeepalived(vm: LabVm, namespace: string) {
    const d = this.vmDir(vm);
    this.start(`keepalived${vm.n}`, 'ip', ['netns', 'exec', namespace, keepalived,
      '-f', join(d, 'keepalived.conf'), '--vrrp', '--dont-fork', '--log-console', '--no-syslog',
      '-p', join(d, 'keepalived.pid'), '-r', join(d, 'vrrp.pid'), '-c', join(d, 'checkers.pid'), '-b', join(d, 'bfd.pid')]);
  }

  vmDir(vm: LabVm) {
    return join(this.dir, `vm${vm.n}`);
  }

  /**
   * Fetches the VM's keepalived file from the console into the VM's directory, and has
   * keepalived check it in the VM's namespace (where it looks for the interface).
   */
  async installConfig(api: Api, havipId: string, vm: LabVm, namespace: string) {
    const d = this.vmDir(vm);
    mkdirSync(d, { mode: 0o700 });
    const query = new URLSearchParams({ vm_id: vm.id, interface: 'eth0', agent: this.havip(), state_dir: d });
    const file = join(d, 'keepalived.conf');
    writeFileSync(file, await api.text(`/havips/${havipId}/keepalived.conf?${query}`));
    execFileSync('ip', ['netns', 'exec', namespace, keepalived, '-t', '-f', file], { stdio: 'inherit' });
  }

  note(line: string) {
    this.measured.push(line);
    console.log(`${this.title}: ${line}`);
  }

  /** Stops what is left (the server gracefully, the rest at once), then `teardown`. */
  async close(teardown: () => void) {
    for (const name of [...this.processes.keys()]) await this.signal(name, name === 'server' ? 'SIGTERM' : 'SIGKILL');
    if (this.dir) {
      teardown();
      rmSync(this.dir, { recursive: true, force: true });
    }
    console.log(`${this.title}, measured:\n  ${this.measured.join('\n  ')}`);
  }
}

/** The REST API of a run's console, as the admin's token sees it. */
export class Api {
  base = '';
  token = '';

  async call(path: string, init: { method?: string; body?: unknown } = {}) {
    const text = await this.text(path, init);
    return text ? JSON.parse(text) : null;
  }

  async text(path: string, init: { method?: string; body?: unknown } = {}) {
    const response = await fetch(`${this.base}/api/v1${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${path}: ${response.status} ${text}`);
    return text;
  }
}

/** Waits until `probe` answers something `accept` takes; answers it and the seconds it took. */
export async function until<T>(what: string, probe: () => Promise<T>, accept: (value: T) => boolean, seconds: number): Promise<[T, number]> {
  const started = Date.now();
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && accept(value)) return [value, (Date.now() - started) / 1000];
    if (Date.now() - started > seconds * 1000) throw new Error(`${what}: not within ${seconds} s (last: ${JSON.stringify(value)})`);
    await new Promise((resume) => setTimeout(resume, 20));
  }
}

/** The VMs of `vms` that hold `vip` on their interface now. */
export function holdersOf(vms: LabVm[], vip: string, namespace: (vm: LabVm) => string) {
  return vms.filter((vm) =>
    execFileSync('ip', ['-n', namespace(vm), '-4', '-o', 'addr', 'show', 'dev', 'eth0'], { encoding: 'utf8' }).includes(`${vip}/`));
}

/** Signs in to a run's console and shows its list. */
export async function signIn(page: Page, base: string, username: string, password: string) {
  await page.goto(`${base}/login`);
  await hydrated(page);
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(password);
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page).toHaveURL(/\/havips$/);
  await hydrated(page);
}
