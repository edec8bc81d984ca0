import { expect, test } from '@playwright/test';
import { base, createHavip, freshTenant, hydrated, login, row, settled, unique } from './helpers';

test('rename from the list with the edit button beside the name', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const havip = await createHavip(page, { name: 'old-name', vpc_id: tenant.vpc, subnet_id: tenant.subnet });
  await settled(page, havip.id);
  await page.reload();
  await hydrated(page);
  const renamed = unique('renamed-');
  await page.getByRole('button', { name: '编辑 old-name' }).click();
  const dialog = page.getByRole('dialog', { name: '编辑高可用VIP' });
  await dialog.getByLabel('名称').fill(renamed);
  await dialog.getByLabel('备注').fill('a new remark');
  await dialog.getByRole('button', { name: '保存' }).click();
  await expect(dialog).toBeHidden();
  await expect(row(page, renamed)).toContainText('a new remark');
  await expect(row(page, 'old-name')).toHaveCount(0);
});

test('rebind: add, remove and replace VMs', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const [a, b, c, d] = tenant.vms;
  const havip = await createHavip(page, { name: 'rebind-me', vpc_id: tenant.vpc, subnet_id: tenant.subnet, vm_ids: [a.id] });
  await settled(page, havip.id);
  await page.reload();
  await hydrated(page);
  const edit = async (change: (dialog: ReturnType<typeof page.getByRole>) => Promise<void>) => {
    await row(page, 'rebind-me').getByRole('button', { name: '编辑', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: '编辑高可用VIP' });
    await change(dialog);
    await dialog.getByRole('button', { name: '保存' }).click();
    await expect(dialog).toBeHidden();
  };
  const vmsCell = () => row(page, 'rebind-me').getByRole('cell').nth(6);
  // Add.
  await edit(async (dialog) => dialog.getByRole('checkbox', { name: new RegExp(b.name) }).check());
  await expect(vmsCell()).toContainText(a.name);
  await expect(vmsCell()).toContainText(b.name);
  // Remove.
  await edit(async (dialog) => dialog.getByRole('checkbox', { name: new RegExp(a.name) }).uncheck());
  await expect(vmsCell()).not.toContainText(a.name);
  await expect(vmsCell()).toContainText(b.name);
  // Replace.
  await edit(async (dialog) => {
    await dialog.getByRole('checkbox', { name: new RegExp(b.name) }).uncheck();
    await dialog.getByRole('checkbox', { name: new RegExp(c.name) }).check();
    await dialog.getByRole('checkbox', { name: new RegExp(d.name) }).check();
  });
  await expect(vmsCell()).not.toContainText(b.name);
  await expect(vmsCell()).toContainText(c.name);
  await expect(vmsCell()).toContainText(d.name);
});

test('delete one HAVIP from its row', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const havip = await createHavip(page, { name: 'goner', vpc_id: tenant.vpc, subnet_id: tenant.subnet, vm_ids: [tenant.vms[0].id] });
  await settled(page, havip.id);
  await page.reload();
  await hydrated(page);
  await page.getByRole('button', { name: '删除 goner' }).click();
  const dialog = page.getByRole('dialog', { name: '删除高可用VIP' });
  await expect(dialog).toContainText('goner');
  await expect(dialog).toContainText(tenant.vms[0].name);
  await dialog.getByRole('button', { name: '确认删除' }).click();
  await expect(dialog).toBeHidden();
  await expect(row(page, 'goner')).toHaveCount(0, { timeout: 20_000 });
});

test('batch delete of several rows; a row that cannot be deleted cannot be selected', async ({ page }) => {
  // The demo tenant has HAVIPs held in creating and deleting: they are not deletable.
  await login(page);
  const tag = unique('batch');
  const names = ['a', 'b', 'c'].map((suffix) => `${tag}-${suffix}`);
  for (const name of names) {
    await settled(page, (await createHavip(page, { name, vpc_id: 'vpc-demotest01', subnet_id: 'subnet-democi001' })).id);
  }
  await page.goto(`${base()}/havips?page_size=100`);
  await hydrated(page);
  const busy = page.getByRole('checkbox', { name: '选择 kafka-vip' });
  await expect(busy).toBeDisabled();
  await expect(busy).toHaveAttribute('title', '只有可用或失败状态的高可用VIP可以删除');
  await expect(page.getByRole('checkbox', { name: '选择 mq-standby' })).toBeDisabled();
  for (const name of names) {
    await page.getByRole('checkbox', { name: `选择 ${name}` }).check();
  }
  await page.getByRole('button', { name: '删除 (3)' }).click();
  const dialog = page.getByRole('dialog', { name: '删除高可用VIP' });
  await expect(dialog.getByText('以下 3 个高可用VIP将被删除：')).toBeVisible();
  await expect(dialog).not.toContainText('kafka-vip');
  await dialog.getByRole('button', { name: '确认删除' }).click();
  await expect(dialog).toBeHidden();
  for (const name of names) {
    await expect(row(page, name)).toHaveCount(0, { timeout: 20_000 });
  }
  await expect(row(page, 'kafka-vip')).toBeVisible();
});

test('a batch with an item that fails shows which and why', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const first = await createHavip(page, { name: 'ok-item', vpc_id: tenant.vpc, subnet_id: tenant.subnet });
  const second = await createHavip(page, { name: 'racing-item', vpc_id: tenant.vpc, subnet_id: tenant.subnet });
  await settled(page, first.id);
  await settled(page, second.id);
  await page.reload();
  await hydrated(page);
  await page.getByRole('checkbox', { name: '选择 ok-item' }).check();
  await page.getByRole('checkbox', { name: '选择 racing-item' }).check();
  await page.getByRole('button', { name: '删除 (2)' }).click();
  const dialog = page.getByRole('dialog', { name: '删除高可用VIP' });
  // Someone else deletes one of them first: that item fails with IncorrectStatus or NotFound.
  expect((await page.request.delete(`${base()}/api/v1/havips/${second.id}`)).status()).toBe(202);
  await dialog.getByRole('button', { name: '确认删除' }).click();
  await expect(dialog.getByRole('alert')).toContainText('1 个删除失败');
  await expect(dialog.getByRole('alert')).toContainText('racing-item');
  await expect(dialog.getByRole('alert')).toContainText(/当前状态不允许此操作|资源不存在/);
  await dialog.getByRole('button', { name: '关闭' }).last().click();
  await expect(row(page, 'ok-item')).toHaveCount(0, { timeout: 20_000 });
});
