import { expect, type Page } from '@playwright/test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { havipCli } from '../global-setup';

/** The address of the server that global-setup started. */
export const base = () => process.env.HAVIP_BASE_URL!;

/** A suffix no other test uses. */
export const unique = (prefix: string) => `${prefix}${Math.random().toString(36).slice(2, 10)}`;

/** A tenant of its own: an admin user and a small inventory, made through the CLI. */
export interface Tenant {
  username: string;
  password: string;
  vpc: string;
  subnet: string;
  otherSubnet: string;
  vms: { id: string; name: string; ip: string }[];
}

export function freshTenant(vmCount = 6): Tenant {
  const stem = unique('e').toLowerCase();
  const username = unique('user');
  const password = 'end-to-end-password';
  havipCli(['user', 'create', '--tenant', `t-${stem}`, '--username', username, '--admin'], `${password}\n`);
  const vms = Array.from({ length: vmCount }, (_, i) => ({ id: `vm-${stem}${i}`, name: `node-${i}-${stem}`, ip: `10.20.1.${11 + i}` }));
  const inventory = {
    vpcs: [
      {
        id: `vpc-${stem}`,
        name: `vpc-${stem}`,
        cidr: '10.20.0.0/16',
        subnets: [
          { id: `subnet-${stem}a`, name: 'front', cidr: '10.20.1.0/24', gateway: '10.20.1.1' },
          { id: `subnet-${stem}b`, name: 'back', cidr: '10.20.2.0/24', gateway: '10.20.2.1' },
        ],
      },
    ],
    vms: vms.map((vm) => ({ id: vm.id, name: vm.name, subnet_id: `subnet-${stem}a`, ip: vm.ip })),
  };
  const file = join(mkdtempSync(join(tmpdir(), 'havip-inv-')), 'inventory.json');
  writeFileSync(file, JSON.stringify(inventory));
  havipCli(['inventory', 'import', file, '--tenant', `t-${stem}`]);
  return { username, password, vpc: `vpc-${stem}`, subnet: `subnet-${stem}a`, otherSubnet: `subnet-${stem}b`, vms };
}

/** Signs in through the login page and waits until the console is interactive. */
export async function login(page: Page, username = 'demo', password = 'demo1234') {
  await page.goto(`${base()}/login`);
  await expect(page.locator('body[data-hydrated]')).toBeAttached();
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(password);
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL('**/havips');
  await hydrated(page);
}

/** The page is interactive once the app has marked <body> after hydration. */
export async function hydrated(page: Page) {
  await expect(page.locator('body[data-hydrated]')).toBeAttached();
}

/** Creates a HAVIP through the REST API with the page's session; answers its JSON. */
export async function createHavip(page: Page, body: Record<string, unknown>) {
  const response = await page.request.post(`${base()}/api/v1/havips`, { data: body });
  expect(response.status(), await response.text()).toBe(202);
  return response.json();
}

/** Waits until the HAVIP has left creating/deleting (through the API). */
export async function settled(page: Page, id: string) {
  await expect
    .poll(async () => (await (await page.request.get(`${base()}/api/v1/havips/${id}`)).json()).status, { timeout: 20_000 })
    .not.toMatch(/creating|deleting/);
}

/** The table row of the HAVIP with exactly this name. */
export const row = (page: Page, name: string) => page.getByRole('row').filter({ has: page.getByText(name, { exact: true }) });
