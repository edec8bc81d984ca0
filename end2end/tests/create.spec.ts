import { expect, test } from '@playwright/test';
import { createHavip, freshTenant, hydrated, login, row, unique } from './helpers';

test('create through the wizard: the row appears and turns available by itself', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const name = unique('wizard-');
  await page.getByRole('button', { name: '新建' }).click();
  const dialog = page.getByRole('dialog', { name: '新建高可用VIP' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel('名称')).toBeFocused();
  await dialog.getByLabel('名称').fill(name);
  await dialog.getByLabel('备注').fill('made by the wizard');
  await expect(dialog.getByLabel('VPC')).toHaveValue(tenant.vpc);
  await dialog.getByLabel('子网').selectOption(tenant.subnet);
  await expect(dialog.getByText('可用范围 10.20.1.1 – 10.20.1.254')).toBeVisible();
  await dialog.getByRole('checkbox', { name: new RegExp(tenant.vms[0].name) }).check();
  await dialog.getByRole('checkbox', { name: new RegExp(tenant.vms[1].name) }).check();
  await dialog.getByRole('button', { name: '确认创建' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('status').getByText(`已提交创建“${name}”`)).toBeVisible();
  const created = row(page, name);
  await expect(created).toBeVisible();
  await expect(created.getByText('可用')).toBeVisible({ timeout: 20_000 });
  await expect(created).toContainText(tenant.vms[0].name);
  await expect(created).toContainText('10.20.1.2');
});

test('an out-of-range IP is shown on its field before anything is sent', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  let posted = false;
  page.on('request', (request) => {
    if (request.url().includes('/api/fn/create_havip')) posted = true;
  });
  await page.getByRole('button', { name: '新建' }).click();
  const dialog = page.getByRole('dialog', { name: '新建高可用VIP' });
  await dialog.getByLabel('名称').fill(unique('range-'));
  await dialog.getByLabel('子网').selectOption(tenant.subnet);
  const ip = dialog.getByLabel('IP 地址');
  await ip.fill('10.20.2.5');
  await expect(dialog.getByText('IP 地址必须在所选子网的网段范围内')).toBeVisible();
  await expect(ip).toHaveAttribute('aria-invalid', 'true');
  await ip.fill('10.20.1.1');
  await expect(dialog.getByText('不能使用子网的网络地址、广播地址或网关地址')).toBeVisible();
  await ip.fill('10.20.1.300');
  await expect(dialog.getByText('IP 地址格式不正确，应为 a.b.c.d')).toBeVisible();
  await dialog.getByRole('button', { name: '确认创建' }).click();
  await expect(dialog).toBeVisible();
  expect(posted).toBe(false);
  // Escape closes the dialog and focus goes back to where it came from.
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('button', { name: '新建' })).toBeFocused();
});

test('an address taken meanwhile is reported on the IP field and the input is kept', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const name = unique('late-');
  await page.getByRole('button', { name: '新建' }).click();
  const dialog = page.getByRole('dialog', { name: '新建高可用VIP' });
  await dialog.getByLabel('名称').fill(name);
  await dialog.getByLabel('子网').selectOption(tenant.subnet);
  await dialog.getByLabel('IP 地址').fill('10.20.1.50');
  // Someone else takes the address before we confirm.
  await createHavip(page, { name: 'first-come', vpc_id: tenant.vpc, subnet_id: tenant.subnet, ip: '10.20.1.50' });
  await dialog.getByRole('button', { name: '确认创建' }).click();
  await expect(dialog.getByText('该 IP 地址已被虚拟机或其他高可用VIP使用')).toBeVisible();
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel('名称')).toHaveValue(name);
  await expect(dialog.getByLabel('IP 地址')).toHaveValue('10.20.1.50');
  // Correcting the field clears the server's complaint, and the create goes through.
  await dialog.getByLabel('IP 地址').fill('10.20.1.51');
  await dialog.getByRole('button', { name: '确认创建' }).click();
  await expect(dialog).toBeHidden();
  await expect(row(page, name)).toContainText('10.20.1.51');
});

test('the VM picker shows counts, refuses a full VM and a fourth VM, and says why', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const full = tenant.vms[5];
  for (let i = 0; i < 5; i++) {
    await createHavip(page, { name: `load-${i}`, vpc_id: tenant.vpc, subnet_id: tenant.subnet, vm_ids: [full.id] });
  }
  await page.reload();
  await hydrated(page);
  await page.getByRole('button', { name: '新建' }).click();
  const dialog = page.getByRole('dialog', { name: '新建高可用VIP' });
  const fullBox = dialog.getByRole('checkbox', { name: new RegExp(full.name) });
  await expect(fullBox).toBeDisabled();
  await expect(dialog.getByText('该虚拟机已绑定 5 个高可用VIP，不能再绑定')).toBeVisible();
  await expect(dialog.getByText('已绑定 5/5 个 VIP')).toBeVisible();
  for (const vm of tenant.vms.slice(0, 3)) {
    await dialog.getByRole('checkbox', { name: new RegExp(vm.name) }).check();
  }
  await expect(dialog.getByText('已选 3/3 台')).toBeVisible();
  await expect(dialog.getByRole('checkbox', { name: new RegExp(tenant.vms[3].name) })).toBeDisabled();
  await expect(dialog.getByText('一个高可用VIP最多关联 3 台虚拟机').first()).toBeVisible();
  await dialog.getByRole('checkbox', { name: new RegExp(tenant.vms[0].name) }).uncheck();
  await expect(dialog.getByRole('checkbox', { name: new RegExp(tenant.vms[3].name) })).toBeEnabled();
});

test('a tenant without a network is told why it cannot create one', async ({ page }) => {
  const username = unique('bare');
  const { havipCli } = await import('../global-setup');
  havipCli(['user', 'create', '--tenant', unique('empty-'), '--username', username, '--admin'], 'bare-tenant-password\n');
  await login(page, username, 'bare-tenant-password');
  await expect(page.getByText('还没有高可用VIP')).toBeVisible();
  await page.getByRole('button', { name: '新建' }).click();
  const dialog = page.getByRole('dialog', { name: '新建高可用VIP' });
  await expect(dialog.getByText('创建高可用VIP前需保证账户至少拥有一个 VPC 网络和子网。')).toBeVisible();
});

test('the name and the remark are checked while typing, with the rules the server runs', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  await page.getByRole('button', { name: '新建' }).click();
  const dialog = page.getByRole('dialog', { name: '新建高可用VIP' });
  const nameRule = dialog.getByText('名称必填，1–128 个字符，只能包含中英文、数字、空格、“.”、“_”、“-”');
  await dialog.getByLabel('名称').fill('bad/name');
  await expect(nameRule).toBeVisible();
  await expect(dialog.getByLabel('名称')).toHaveAttribute('aria-invalid', 'true');
  await dialog.getByLabel('名称').fill('数据库 主备-1');
  await expect(nameRule).toBeHidden();
  await dialog.getByLabel('备注').fill('line one\nline two');
  await expect(dialog.getByText('备注最多 255 个字符，且不能包含控制字符')).toBeVisible();
  await dialog.getByLabel('备注').fill('one line');
  await expect(dialog.getByText('备注最多 255 个字符，且不能包含控制字符')).toBeHidden();
  // An empty name is refused on submit, before anything is sent.
  await dialog.getByLabel('名称').fill('   ');
  await dialog.getByRole('button', { name: '确认创建' }).click();
  await expect(nameRule).toBeVisible();
  await expect(dialog).toBeVisible();
});
