// Shared helpers of the browser tests: the server's address, unique names, signing in, the
// REST calls that prepare data, and a few locators of the HAVIP list.
//
// Tests run in parallel against one server. Each test either works in a tenant of its own
// (freshTenant) or, in the shared demo tenant, only looks at rows it made (unique names).

import { expect, type Locator, type Page } from '@playwright/test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { havipCli } from '../global-setup';

/** The address of the server that global-setup started (never a fixed port). */
export const base = () => process.env.HAVIP_BASE_URL!;

/** `prefix` plus a random suffix of lowercase letters and digits (valid in names and IDs). */
export const unique = (prefix: string) => `${prefix}${Math.random().toString(36).slice(2, 10)}`;

/** The demo data set that `--demo` loads (see server/src/demo.rs). */
export const demo = {
  username: 'demo',
  password: 'demo1234',
  prod: { vpc: 'vpc-demoprod01', web: 'subnet-demoweb01', db: 'subnet-demodb001', mgmt: 'subnet-demomgmt1' },
  test: { vpc: 'vpc-demotest01', app: 'subnet-demoapp01', ci: 'subnet-democi001' },
  /** Held in 创建中 (creating) for ten minutes after the server starts: not deletable. */
  creating: ['kafka-vip', 'staging-api'],
  /** Held in 删除中 (deleting) for ten minutes after the server starts: not deletable. */
  deleting: ['mq-standby', 'sandbox-vip'],
};

/** A tenant of its own: an admin user and a small inventory, made through the CLI. */
export interface Tenant {
  username: string;
  password: string;
  vpc: string;
  /** front (10.20.1.0/24, gateway 10.20.1.1): every VM is in it, at 10.20.1.11 and up. */
  subnet: string;
  /** back (10.20.2.0/24): no VMs. */
  otherSubnet: string;
  /** tiny (10.20.3.0/30, gateway 10.20.3.1): room for one address, 10.20.3.2; no VMs. */
  tinySubnet: string;
  vms: { id: string; name: string; ip: string }[];
}

/**
 * Makes a new tenant with one VPC, three subnets and `vmCount` VMs; nothing else runs in it.
 * The VMs are running and in front unless `vmOptions` says otherwise: `stopped` and `inBack`
 * list VM indexes (a VM in back is at 10.20.2.11 and up).
 */
export function freshTenant(vmCount = 6, vmOptions: { stopped?: number[]; inBack?: number[] } = {}): Tenant {
  const stem = unique('e');
  const username = unique('user');
  const password = 'end-to-end-password';
  havipCli(['user', 'create', '--tenant', `t-${stem}`, '--username', username, '--admin'], `${password}\n`);
  const inBack = (i: number) => vmOptions.inBack?.includes(i) ?? false;
  const vms = Array.from({ length: vmCount }, (_, i) => ({
    id: `vm-${stem}${i}`,
    name: `node-${i}-${stem}`,
    ip: inBack(i) ? `10.20.2.${11 + i}` : `10.20.1.${11 + i}`,
  }));
  const inventory = {
    vpcs: [
      {
        id: `vpc-${stem}`,
        name: `vpc-${stem}`,
        cidr: '10.20.0.0/16',
        subnets: [
          { id: `subnet-${stem}a`, name: 'front', cidr: '10.20.1.0/24', gateway: '10.20.1.1' },
          { id: `subnet-${stem}b`, name: 'back', cidr: '10.20.2.0/24', gateway: '10.20.2.1' },
          { id: `subnet-${stem}c`, name: 'tiny', cidr: '10.20.3.0/30', gateway: '10.20.3.1' },
        ],
      },
    ],
    vms: vms.map((vm, i) => ({
      id: vm.id,
      name: vm.name,
      subnet_id: `subnet-${stem}${inBack(i) ? 'b' : 'a'}`,
      ip: vm.ip,
      state: vmOptions.stopped?.includes(i) ? 'stopped' : 'running',
    })),
  };
  const file = join(mkdtempSync(join(tmpdir(), 'havip-inv-')), 'inventory.json');
  writeFileSync(file, JSON.stringify(inventory));
  havipCli(['inventory', 'import', file, '--tenant', `t-${stem}`]);
  return {
    username,
    password,
    vpc: `vpc-${stem}`,
    subnet: `subnet-${stem}a`,
    otherSubnet: `subnet-${stem}b`,
    tinySubnet: `subnet-${stem}c`,
    vms,
  };
}

/**
 * Signs in through the login page and waits until the console is interactive. `landing` is
 * the URL expected afterwards (the list by default).
 */
export async function login(page: Page, username = demo.username, password = demo.password, landing: string | RegExp = /\/havips$/) {
  if (!/\/login/.test(page.url())) await page.goto(`${base()}/login`);
  await hydrated(page);
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(password);
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page).toHaveURL(landing);
  await hydrated(page);
}

/**
 * The page is interactive: frontend/src/lib.rs sets <body data-hydrated> once hydrate_body
 * returned (a failed hydration never sets it).
 */
export async function hydrated(page: Page) {
  await expect(page.locator('body[data-hydrated]')).toBeAttached();
}

/** Reloads the page and waits for hydration. */
export async function reload(page: Page) {
  await page.reload();
  await hydrated(page);
}

/** Creates a HAVIP through the REST API with the page's session cookie; answers its JSON. */
export async function createHavip(page: Page, body: Record<string, unknown>) {
  const response = await page.request.post(`${base()}/api/v1/havips`, { data: body });
  expect(response.status(), await response.text()).toBe(202);
  return response.json();
}

/** Creates several HAVIPs and waits until all of them have left 创建中. */
export async function createSettled(page: Page, bodies: Record<string, unknown>[]) {
  const made = [];
  for (const body of bodies) made.push(await createHavip(page, body));
  for (const havip of made) await settled(page, havip.id);
  return made;
}

/** Waits until the HAVIP has left creating/deleting (through the API). */
export async function settled(page: Page, id: string) {
  await expect
    .poll(async () => (await (await page.request.get(`${base()}/api/v1/havips/${id}`)).json()).status, { timeout: 20_000 })
    .not.toMatch(/creating|deleting/);
}

/** The table row of the HAVIP with exactly this name. */
export const row = (page: Page, name: string) => page.getByRole('row').filter({ has: page.getByText(name, { exact: true }) });

/** The list's columns in the order of the page (product.md §4); the first is the selection box. */
const COLUMNS = ['', '名称/备注', '资源ID', '状态', 'VPC/子网', 'IP 地址', '关联虚拟机', '主节点', '项目组', '创建时间', '操作'] as const;

/** One cell of a row, by its column's (Chinese) header. */
export const cell = (tableRow: Locator, column: (typeof COLUMNS)[number]) => tableRow.getByRole('cell').nth(COLUMNS.indexOf(column));

/** The names of the rows shown, in order, read from the rows' selection boxes ("选择 {name}"). */
export async function shownNames(page: Page): Promise<string[]> {
  const boxes = page.getByRole('table').getByRole('checkbox', { name: /^选择 / });
  const labels = await boxes.evaluateAll((elements) => elements.map((e) => e.getAttribute('aria-label') ?? ''));
  return labels.map((label) => label.replace(/^选择 /, ''));
}

/** The pager ("分页"). */
export const pager = (page: Page) => page.getByRole('navigation', { name: '分页' });

/** The total the pager shows (共 N 条). */
export async function shownTotal(page: Page): Promise<number> {
  const text = await pager(page).getByText(/共 \d+ 条/).textContent();
  return Number(text!.match(/\d+/)![0]);
}

/** The toast region. */
export const toasts = (page: Page) => page.getByRole('status');

/** A VM's checkbox in a dialog's VM picker (its accessible name starts with the VM's name). */
export const vmBox = (dialog: Locator, vmName: string) => dialog.getByRole('checkbox', { name: vmLabel(vmName) });

/** A VM's whole line in a dialog's VM picker: name, IP, subnet, HAVIP count, and why it cannot be chosen. */
export const vmOption = (dialog: Locator, vmName: string) =>
  dialog.locator('label').filter({ has: dialog.page().getByRole('checkbox', { name: vmLabel(vmName) }) });

const vmLabel = (vmName: string) => new RegExp(`^${vmName}\\b`);
