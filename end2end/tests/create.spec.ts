// Issue 3: the create wizard (新建) — the happy path, checks while typing (the same Rust rules
// the server runs, compiled to WebAssembly), server errors on their field, and the VM limits.

import { expect, test, type Page, type Route } from '@playwright/test';
import { havipCli } from '../global-setup';
import { base, cell, createHavip, demo, freshTenant, hydrated, login, pager, reload, row, toasts, unique, vmBox, vmOption } from './helpers';

/** Opens the create wizard and answers its dialog. */
async function openWizard(page: Page) {
  await page.getByRole('button', { name: '新建' }).click();
  const dialog = page.getByRole('dialog', { name: '新建高可用VIP' });
  await expect(dialog).toBeVisible();
  return dialog;
}

test('create through the wizard: the dialog closes, the row appears and turns 可用 by itself', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const name = unique('wizard-');
  const dialog = await openWizard(page);
  await expect(dialog.getByLabel('名称')).toBeFocused();
  await dialog.getByLabel('名称').fill(name);
  await dialog.getByLabel('备注').fill('made by the wizard');
  await expect(dialog.getByLabel('VPC')).toHaveValue(tenant.vpc);
  await dialog.getByLabel('子网').selectOption(tenant.subnet);
  // The usable range: the gateway (10.20.1.1) at its low end is left out of it.
  await expect(dialog.getByText('可用范围 10.20.1.2 – 10.20.1.254，留空则自动分配')).toBeVisible();
  // The picker lists the VPC's VMs with their IP and how many HAVIPs they carry.
  const picker = dialog.getByRole('group', { name: /关联虚拟机/ });
  await expect(picker.getByRole('checkbox')).toHaveCount(tenant.vms.length);
  await expect(vmBox(dialog, tenant.vms[0].name)).toBeEnabled();
  await vmBox(dialog, tenant.vms[0].name).check();
  await vmBox(dialog, tenant.vms[1].name).check();
  await expect(picker).toContainText('已选 2/3 台');
  await expect(dialog.getByLabel('项目组')).toBeVisible();
  await dialog.getByRole('button', { name: '确认创建' }).click();

  await expect(dialog).toBeHidden();
  await expect(toasts(page).getByText(`已提交创建“${name}”`)).toBeVisible();
  const created = row(page, name);
  await expect(created).toBeVisible();
  // No reload: the row settles by itself (创建中 → 可用).
  await expect(cell(created, '状态')).toHaveText(/可用/, { timeout: 20_000 });
  await expect(cell(created, '名称/备注')).toContainText('made by the wizard');
  await expect(cell(created, '关联虚拟机')).toContainText(tenant.vms[0].name);
  await expect(cell(created, '关联虚拟机')).toContainText(tenant.vms[1].name);
  // The address was left empty: the lowest free one is assigned (.1 is the gateway).
  await expect(cell(created, 'IP 地址')).toContainText('10.20.1.2');
});

test('an out-of-range IP is shown on its field before anything is sent', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const posted: string[] = [];
  page.on('request', (request) => {
    if (request.method() === 'POST' && /create_havip|\/api\/v1\/havips$/.test(request.url())) posted.push(request.url());
  });
  const dialog = await openWizard(page);
  await dialog.getByLabel('名称').fill(unique('range-'));
  await dialog.getByLabel('子网').selectOption(tenant.subnet);
  const ip = dialog.getByLabel('IP 地址');
  // In the VPC but in the other subnet.
  await ip.fill('10.20.2.5');
  await expect(dialog.getByText('IP 地址必须在所选子网的网段范围内')).toBeVisible();
  await expect(ip).toHaveAttribute('aria-invalid', 'true');
  // R5 says which reserved address it is.
  await ip.fill('10.20.1.1');
  await expect(dialog.getByText('10.20.1.1 是子网的网关地址，不能使用')).toBeVisible();
  await ip.fill('10.20.1.0');
  await expect(dialog.getByText('10.20.1.0 是子网的网络地址，不能使用')).toBeVisible();
  await ip.fill('10.20.1.255');
  await expect(dialog.getByText('10.20.1.255 是子网的广播地址，不能使用')).toBeVisible();
  await ip.fill('10.20.1.300');
  await expect(dialog.getByText('IP 地址格式不正确，应为 a.b.c.d')).toBeVisible();
  // The address of a VM of the subnet is known in the browser too.
  await ip.fill(tenant.vms[0].ip);
  await expect(dialog.getByText('该 IP 地址已被虚拟机或其他高可用VIP使用')).toBeVisible();
  await ip.fill('10.20.3.7');
  await expect(dialog.getByText('IP 地址必须在所选子网的网段范围内')).toBeVisible();
  await dialog.getByRole('button', { name: '确认创建' }).click();
  await expect(dialog).toBeVisible();
  await expect(dialog.getByText('IP 地址必须在所选子网的网段范围内')).toBeVisible();
  expect(posted, 'nothing is sent while a field is wrong').toEqual([]);
  // A good address clears the message.
  await ip.fill('10.20.1.77');
  await expect(dialog.getByText('IP 地址必须在所选子网的网段范围内')).toBeHidden();
  await expect(ip).toHaveAttribute('aria-invalid', 'false');
  // Escape closes the dialog and focus goes back to where it came from.
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('button', { name: '新建' })).toBeFocused();
  expect(posted).toEqual([]);
});

test('an address taken meanwhile is reported on the IP field and the input is kept', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const name = unique('late-');
  const dialog = await openWizard(page);
  await dialog.getByLabel('名称').fill(name);
  await dialog.getByLabel('备注').fill('second in line');
  await dialog.getByLabel('子网').selectOption(tenant.subnet);
  await dialog.getByLabel('IP 地址').fill('10.20.1.50');
  await vmBox(dialog, tenant.vms[2].name).check();
  // Someone else takes the address before we confirm.
  await createHavip(page, { name: unique('first-come-'), vpc_id: tenant.vpc, subnet_id: tenant.subnet, ip: '10.20.1.50' });
  await dialog.getByRole('button', { name: '确认创建' }).click();

  const ip = dialog.getByLabel('IP 地址');
  await expect(dialog.getByText('该 IP 地址已被虚拟机或其他高可用VIP使用')).toBeVisible();
  await expect(ip).toHaveAttribute('aria-invalid', 'true');
  // The message is the IP field's own (it describes that input).
  const describedBy = (await ip.getAttribute('aria-describedby'))!.split(' ');
  await expect(dialog.locator(`[id="${describedBy[1]}"]`)).toHaveText('该 IP 地址已被虚拟机或其他高可用VIP使用');
  // Nothing typed is lost.
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel('名称')).toHaveValue(name);
  await expect(dialog.getByLabel('备注')).toHaveValue('second in line');
  await expect(ip).toHaveValue('10.20.1.50');
  await expect(vmBox(dialog, tenant.vms[2].name)).toBeChecked();
  await expect(dialog.getByRole('button', { name: '确认创建' })).toBeEnabled();

  // Correcting the field clears the server's complaint, and the create goes through.
  await ip.fill('10.20.1.51');
  await expect(dialog.getByText('该 IP 地址已被虚拟机或其他高可用VIP使用')).toBeHidden();
  await dialog.getByRole('button', { name: '确认创建' }).click();
  await expect(dialog).toBeHidden();
  await expect(cell(row(page, name), 'IP 地址')).toContainText('10.20.1.51');
});

test('the VM picker refuses a VM with 5 HAVIPs and a fourth VM, and says why', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const full = tenant.vms[5];
  for (let i = 0; i < 5; i++) {
    await createHavip(page, { name: unique(`load-${i}-`), vpc_id: tenant.vpc, subnet_id: tenant.subnet, vm_ids: [full.id] });
  }
  await reload(page);
  const dialog = await openWizard(page);
  const fullOption = vmOption(dialog, full.name);
  await expect(vmBox(dialog, full.name)).toBeDisabled();
  await expect(fullOption).toContainText('已绑定 5/5 个 VIP');
  await expect(fullOption).toContainText('该虚拟机已绑定 5 个高可用VIP，不能再绑定');

  // Three VMs chosen: the others cannot be chosen any more, and each says why.
  for (const vm of tenant.vms.slice(0, 3)) await vmBox(dialog, vm.name).check();
  await expect(dialog.getByText('已选 3/3 台')).toBeVisible();
  const fourth = tenant.vms[3];
  await expect(vmBox(dialog, fourth.name)).toBeDisabled();
  await expect(vmBox(dialog, tenant.vms[4].name)).toBeDisabled();
  await expect(vmOption(dialog, fourth.name)).toContainText('一个高可用VIP最多关联 3 台虚拟机');
  // The chosen ones stay changeable; giving one up frees a place.
  await expect(vmBox(dialog, tenant.vms[0].name)).toBeEnabled();
  await vmBox(dialog, tenant.vms[0].name).uncheck();
  await expect(vmBox(dialog, fourth.name)).toBeEnabled();
  await expect(vmBox(dialog, full.name)).toBeDisabled();
});

test('a VM that filled up meanwhile is named in the error, and the picker counts again', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const busy = tenant.vms[2];
  for (let i = 0; i < 4; i++) {
    await createHavip(page, { name: unique(`fill-${i}-`), vpc_id: tenant.vpc, subnet_id: tenant.subnet, vm_ids: [busy.id] });
  }
  await reload(page);
  const dialog = await openWizard(page);
  await dialog.getByLabel('名称').fill(unique('late-'));
  await dialog.getByLabel('子网').selectOption(tenant.subnet);
  await expect(vmOption(dialog, busy.name)).toContainText('已绑定 4/5 个 VIP');
  await vmBox(dialog, busy.name).check();
  // Someone else gives the VM its fifth HAVIP before this one is confirmed.
  await createHavip(page, { name: unique('fifth-'), vpc_id: tenant.vpc, subnet_id: tenant.subnet, vm_ids: [busy.id] });
  await dialog.getByRole('button', { name: '确认创建' }).click();
  await expect(dialog.getByText(`${busy.name} 已绑定 5/5 个高可用VIP`)).toBeVisible();
  await expect(vmOption(dialog, busy.name)).toContainText('已绑定 5/5 个 VIP');
  await expect(dialog).toBeVisible();
});

test('the picker shows a stopped VM and warns of a VM outside the HAVIP\'s subnet', async ({ page }) => {
  const tenant = freshTenant(4, { stopped: [1], inBack: [3] });
  await login(page, tenant.username, tenant.password);
  const dialog = await openWizard(page);
  await dialog.getByLabel('子网').selectOption(tenant.subnet);
  await expect(vmOption(dialog, tenant.vms[1].name)).toContainText('已停止');
  await expect(vmOption(dialog, tenant.vms[0].name)).not.toContainText('已停止');
  const outside = vmOption(dialog, tenant.vms[3].name);
  await expect(outside).toContainText('不在此网段，无法通过 ARP 接管该地址');
  await expect(vmOption(dialog, tenant.vms[0].name)).not.toContainText('ARP');
  // A warning, not a refusal: it can still be chosen.
  await expect(vmBox(dialog, tenant.vms[3].name)).toBeEnabled();
  // In the other subnet the warning moves to the VMs of the first.
  await dialog.getByLabel('子网').selectOption(tenant.otherSubnet);
  await expect(outside).not.toContainText('ARP');
  await expect(vmOption(dialog, tenant.vms[0].name)).toContainText('不在此网段，无法通过 ARP 接管该地址');
});

test('a tenant without a network is told why it cannot create one', async ({ page }) => {
  const username = unique('bare');
  havipCli(['user', 'create', '--tenant', unique('empty-'), '--username', username, '--admin'], 'bare-tenant-password\n');
  await login(page, username, 'bare-tenant-password');
  await expect(page.getByText('还没有高可用VIP')).toBeVisible();
  const dialog = await openWizard(page);
  await expect(dialog.getByText('创建高可用VIP前需保证账户至少拥有一个 VPC 网络和子网。')).toBeVisible();
});

test('the name and the remark are checked while typing, with the rules the server runs', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const dialog = await openWizard(page);
  const name = dialog.getByLabel('名称');
  // The message names the characters R1 does not allow.
  await name.fill('web@vip!/x@');
  await expect(dialog.getByText('名称不能包含 “@”、“!”、“/”')).toBeVisible();
  await expect(name).toHaveAttribute('aria-invalid', 'true');
  await name.fill('数据库 主备-1');
  await expect(dialog.getByText(/名称不能包含/)).toBeHidden();
  // Pasted text over the limit is kept, counted and refused, not cut.
  await name.fill('长'.repeat(130));
  await expect(name).toHaveValue('长'.repeat(130));
  await expect(dialog.getByText('130/128')).toBeVisible();
  await expect(dialog.getByText('名称最多 128 个字符，当前 130 个')).toBeVisible();
  await name.fill('数据库 主备-1');
  await expect(dialog.getByText('8/128')).toBeVisible();
  // The remark is one line (Enter cannot add a line break); a pasted tab is a control character.
  await dialog.getByLabel('备注').fill('one\ttwo');
  await expect(dialog.getByText('备注最多 255 个字符，且不能包含控制字符')).toBeVisible();
  await dialog.getByLabel('备注').fill('one line');
  await expect(dialog.getByText('备注最多 255 个字符，且不能包含控制字符')).toBeHidden();
  // An empty name is refused on submit, before anything is sent, as required.
  await name.fill('   ');
  await dialog.getByRole('button', { name: '确认创建' }).click();
  await expect(dialog.getByText('请输入名称')).toBeVisible();
  await expect(dialog).toBeVisible();
  // 取消 closes the dialog.
  await dialog.getByRole('button', { name: '取消' }).click();
  await expect(dialog).toBeHidden();
});

test('Esc closes the wizard wherever the focus is, and the focus returns to 新建', async ({ page }) => {
  await login(page);
  const dialog = await openWizard(page);
  await expect(dialog.getByLabel('名称')).toBeFocused();
  // A click on the dialog's title (not focusable) leaves the focus in the panel.
  await dialog.getByRole('heading', { name: '新建高可用VIP' }).click();
  await expect(dialog).toBeFocused();
  // Focus can even leave the dialog without the user (a clicked button that goes away): the
  // dialog is still open and modal, so Tab comes back into it and Esc still closes it.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await expect(page.locator('body')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(dialog.getByRole('button', { name: '关闭对话框' })).toBeFocused();
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('button', { name: '新建' })).toBeFocused();
});

test('Tab keeps the focus inside the open wizard (a modal dialog)', async ({ page }) => {
  await login(page);
  const dialog = await openWizard(page);
  await expect(dialog.getByLabel('名称')).toBeFocused();
  // More presses than the dialog has controls: the focus cycles inside it.
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press('Tab');
    const where = await page.evaluate(() => {
      const active = document.activeElement;
      return active?.closest('[role="dialog"]') ? 'inside' : `outside: ${active?.outerHTML.slice(0, 100)}`;
    });
    expect(where, `after ${i + 1} Tab presses`).toBe('inside');
  }
});

test('a subnet without a free address is reported on the subnet field (R7), and the input is kept', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  // The tiny subnet (a /30) has one address besides its gateway: a first HAVIP takes it.
  await createHavip(page, { name: unique('only-room-'), vpc_id: tenant.vpc, subnet_id: tenant.tinySubnet });
  const name = unique('no-room-');
  const dialog = await openWizard(page);
  await dialog.getByLabel('名称').fill(name);
  await dialog.getByLabel('子网').selectOption(tenant.tinySubnet);
  await dialog.getByRole('button', { name: '确认创建' }).click();
  await expect(dialog.getByRole('alert').filter({ hasText: '子网没有可用的 IP 地址' })).toBeVisible();
  // A field's error is not repeated as a toast.
  await expect(toasts(page).getByText('子网没有可用的 IP 地址')).toHaveCount(0);
  await expect(dialog.getByLabel('名称')).toHaveValue(name);
  await expect(dialog.getByLabel('子网')).toHaveValue(tenant.tinySubnet);
  // Another subnet has room: choosing it clears the complaint, and the create goes through.
  await dialog.getByLabel('子网').selectOption(tenant.subnet);
  await expect(dialog.getByText('子网没有可用的 IP 地址')).toBeHidden();
  await dialog.getByRole('button', { name: '确认创建' }).click();
  await expect(dialog).toBeHidden();
  await expect(row(page, name)).toBeVisible();
});

test('after a create under a filter, the list shows the default view with the new row', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  // A new HAVIP starts in 创建中: a view of failed ones would hide it.
  await page.goto(`${base()}/havips?status=failed&page_size=50`);
  await hydrated(page);
  const name = unique('seen-');
  const dialog = await openWizard(page);
  await dialog.getByLabel('名称').fill(name);
  await dialog.getByRole('button', { name: '确认创建' }).click();
  await expect(dialog).toBeHidden();
  // The filter is gone, the page size stays.
  await expect(page).toHaveURL(/\/havips\?page_size=50$/);
  await expect(row(page, name)).toBeVisible();
  await expect(pager(page).getByLabel('每页条数')).toHaveValue('50');
});

test('confirming again after the answer was lost does not create a second HAVIP', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const name = unique('retry-');
  // The first create reaches the server, but its answer never reaches the page.
  let creates = 0;
  await page.route('**/api/fn/create_havip', async (route) => {
    creates += 1;
    if (creates === 1) {
      await route.fetch();
      await route.abort();
    } else {
      await route.continue();
    }
  });
  const dialog = await openWizard(page);
  await dialog.getByLabel('名称').fill(name);
  await dialog.getByLabel('子网').selectOption(tenant.subnet);
  await dialog.getByRole('button', { name: '确认创建' }).click();
  await expect(toasts(page).getByText('服务暂时不可用，请稍后重试')).toBeVisible();
  await expect(dialog.getByLabel('名称')).toHaveValue(name);
  await dialog.getByRole('button', { name: '确认创建' }).click();
  await expect(dialog).toBeHidden();
  expect(creates).toBe(2);
  const found = await (await page.request.get(`${base()}/api/v1/havips?q=${name}`)).json();
  expect(found.total).toBe(1);
  await expect(row(page, name)).toHaveCount(1);
});

test('the project follows the VPC until one is chosen, and the HAVIP lands in the one shown', async ({ page }) => {
  await login(page);
  const name = unique('project-');
  const dialog = await openWizard(page);
  const project = dialog.getByLabel('项目组');
  await dialog.getByLabel('名称').fill(name);
  // The demo's VPCs belong to the projects ops and test: that is where a HAVIP goes by default.
  await expect(project.getByRole('option', { name: 'ops', selected: true })).toBeAttached();
  await dialog.getByLabel('VPC').selectOption(demo.test.vpc);
  await expect(project.getByRole('option', { name: 'test', selected: true })).toBeAttached();
  // Once the user picks one, it stays whatever the VPC.
  const tenantDefault = (await project.getByRole('option', { name: /（默认）$/ }).textContent())!;
  await project.selectOption({ label: tenantDefault });
  await dialog.getByLabel('VPC').selectOption(demo.prod.vpc);
  await expect(project.getByRole('option', { name: tenantDefault, selected: true })).toBeAttached();
  await dialog.getByRole('button', { name: '确认创建' }).click();
  await expect(dialog).toBeHidden();
  await expect(cell(row(page, name), '项目组')).toHaveText(tenantDefault.replace('（默认）', ''));
});

test('a slow answer for a VPC chosen before does not replace the answer for the VPC chosen again', async ({ page }) => {
  await login(page);
  // The first load (the default VPC) is held; the loads after it go through.
  const held: Route[] = [];
  await page.route('**/api/fn/vms', (route) => (held.length === 0 ? held.push(route) : route.continue()));
  const dialog = await openWizard(page);
  const picker = dialog.getByRole('group', { name: /关联虚拟机/ });
  await expect(dialog.getByLabel('VPC')).toHaveValue(demo.prod.vpc);
  await expect.poll(() => held.length).toBe(1);
  await dialog.getByLabel('VPC').selectOption(demo.test.vpc);
  await expect(vmBox(dialog, 'app-01')).toBeVisible();
  await dialog.getByLabel('VPC').selectOption(demo.prod.vpc);
  await expect(vmBox(dialog, 'web-01')).toBeVisible();
  // The first request for this VPC fails only now: the newer answer stands. Once the page has
  // seen the failure and drawn a frame after it, the picker must not show it.
  const failed = page.waitForEvent('requestfailed', (request) => request.url().endsWith('/api/fn/vms'));
  await held[0].abort();
  await failed;
  await page.evaluate(() => new Promise((drawn) => requestAnimationFrame(() => requestAnimationFrame(drawn))));
  await page.unroute('**/api/fn/vms');
  await expect(picker.getByRole('alert')).toHaveCount(0);
  await expect(vmBox(dialog, 'web-01')).toBeVisible();
});

test('the VM picker says while the VMs load, and when they could not be loaded, with a retry', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const held: Route[] = [];
  await page.route('**/api/fn/vms', (route) => {
    held.push(route);
  });
  const dialog = await openWizard(page);
  const picker = dialog.getByRole('group', { name: /关联虚拟机/ });
  await expect(picker).toContainText('加载中…');
  await expect(picker).not.toContainText('该 VPC 下没有虚拟机');
  await expect.poll(() => held.length).toBe(1);
  await held[0].abort();
  await page.unroute('**/api/fn/vms');
  await expect(picker.getByRole('alert').filter({ hasText: '服务暂时不可用，请稍后重试' })).toBeVisible();
  await expect(picker).not.toContainText('该 VPC 下没有虚拟机');
  await picker.getByRole('button', { name: '重试' }).click();
  await expect(picker.getByRole('checkbox')).toHaveCount(tenant.vms.length);
});
