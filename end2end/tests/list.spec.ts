import { expect, test } from '@playwright/test';
import { base, createHavip, freshTenant, hydrated, login, row, settled, unique } from './helpers';

test('the page loads, shows the demo HAVIPs and hydrates', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  await login(page);
  await expect(page.getByRole('heading', { name: '高可用VIP' })).toBeVisible();
  for (const header of ['名称/备注', '资源ID', '状态', 'VPC/子网', 'IP 地址', '关联虚拟机', '项目组', '创建时间', '操作']) {
    await expect(page.getByRole('columnheader', { name: header })).toBeVisible();
  }
  await expect(row(page, 'grafana-vip')).toBeVisible();
  await expect(page.getByText(/共 \d+ 条/)).toBeVisible();
  expect(errors, 'no errors in the browser (CSP, hydration)').toEqual([]);
});

test('typing in the search box narrows the table', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const tag = unique('needle');
  await createHavip(page, { name: `${tag}-one`, vpc_id: tenant.vpc, subnet_id: tenant.subnet });
  await createHavip(page, { name: 'haystack', remark: 'nothing to see', vpc_id: tenant.vpc, subnet_id: tenant.subnet });
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole('row')).toHaveCount(3);
  await page.getByRole('searchbox', { name: '搜索' }).fill(tag.toUpperCase());
  await expect(row(page, `${tag}-one`)).toBeVisible();
  await expect(row(page, 'haystack')).toHaveCount(0);
  await expect(page).toHaveURL(new RegExp(`q=${tag}`));
  await expect(page.getByText('共 1 条')).toBeVisible();
});

test('a filter and a page change survive a reload', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const ids: string[] = [];
  for (let i = 0; i < 23; i++) {
    ids.push((await createHavip(page, { name: `paged-${String(i).padStart(2, '0')}`, vpc_id: tenant.vpc, subnet_id: tenant.subnet })).id);
  }
  await createHavip(page, { name: 'in-the-back', vpc_id: tenant.vpc, subnet_id: tenant.otherSubnet });
  for (const id of ids) await settled(page, id);
  await page.reload();
  await hydrated(page);

  await page.getByLabel('子网').selectOption({ label: 'front (10.20.1.0/24)' });
  await expect(page.getByText('共 23 条')).toBeVisible();
  await page.getByRole('button', { name: '下一页' }).click();
  await expect(page.getByText('第 2 / 2 页')).toBeVisible();
  await expect(page.getByRole('row')).toHaveCount(4);
  const url = page.url();
  expect(url).toContain(`subnet_id=${tenant.subnet}`);
  expect(url).toContain('page=2');

  await page.reload();
  await hydrated(page);
  expect(page.url()).toBe(url);
  await expect(page.getByText('第 2 / 2 页')).toBeVisible();
  await expect(page.getByText('共 23 条')).toBeVisible();
  await expect(page.getByLabel('子网')).toHaveValue(tenant.subnet);
  await expect(row(page, 'in-the-back')).toHaveCount(0);
  // The back button returns to the first page.
  await page.goBack();
  await expect(page.getByText('第 1 / 2 页')).toBeVisible();
});

test('the language switch changes the headers and is remembered', async ({ page }) => {
  await login(page);
  await expect(page.getByRole('columnheader', { name: '资源ID' })).toBeVisible();
  await page.getByRole('button', { name: 'English' }).click();
  await expect(page.getByRole('columnheader', { name: 'Resource ID' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Create', exact: true })).toBeVisible();
  await expect(page).toHaveTitle(/High-availability VIPs/);
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole('columnheader', { name: 'Resource ID' })).toBeVisible();
  await page.getByRole('button', { name: '中文' }).click();
  await expect(page.getByRole('columnheader', { name: '资源ID' })).toBeVisible();
});
