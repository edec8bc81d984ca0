// Issue 2: the HAVIP list page — rendered on the server, hydrated, search, filters, sort and
// pages in the URL, and the language switch.

import { expect, test } from '@playwright/test';
import { base, cell, createHavip, createSettled, freshTenant, hydrated, login, pager, reload, row, shownNames, toasts, unique } from './helpers';

test('the page loads, shows the demo HAVIPs and hydrates', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  await login(page);
  await expect(page.getByRole('heading', { name: '高可用VIP' })).toBeVisible();
  const headers = page.getByRole('columnheader');
  await expect(headers).toHaveText(['', /名称\/备注/, '资源ID', '状态', 'VPC/子网', /IP 地址/, '关联虚拟机', '主节点', '项目组', /创建时间/, '操作']);
  await expect(row(page, 'grafana-vip')).toBeVisible();
  // The remark is text, never markup.
  await expect(row(page, 'grafana-vip')).toContainText('<b>看板</b>');
  await expect(pager(page).getByText(/共 \d+ 条/)).toBeVisible();
  // Something only the hydrated client can do: open the create dialog, and close it again.
  await page.getByRole('button', { name: '新建' }).click();
  const dialog = page.getByRole('dialog', { name: '新建高可用VIP' });
  await expect(dialog.getByLabel('名称')).toBeFocused();
  await dialog.getByRole('button', { name: '取消' }).click();
  await expect(dialog).toBeHidden();
  expect(errors, 'no errors in the browser (CSP, hydration)').toEqual([]);
});

test('typing in the search box narrows the table, and the search survives a reload', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const tag = unique('needle');
  await createHavip(page, { name: `${tag}-one`, vpc_id: tenant.vpc, subnet_id: tenant.subnet });
  await createHavip(page, { name: `${tag}-two`, vpc_id: tenant.vpc, subnet_id: tenant.subnet });
  await createHavip(page, { name: 'haystack', remark: 'nothing to see', vpc_id: tenant.vpc, subnet_id: tenant.subnet });
  await reload(page);
  await expect(page.getByRole('row')).toHaveCount(4);

  const search = page.getByRole('searchbox', { name: '搜索' });
  // A part of the name, in another case.
  await search.fill(tag.slice(0, 10).toUpperCase());
  await expect(row(page, `${tag}-one`)).toBeVisible();
  await expect(row(page, `${tag}-two`)).toBeVisible();
  await expect(row(page, 'haystack')).toHaveCount(0);
  await expect(pager(page)).toContainText('共 2 条');
  await expect(page).toHaveURL(new RegExp(`q=${tag.slice(0, 10)}`, 'i'));

  // A part of the remark.
  await search.fill('to see');
  await expect(row(page, 'haystack')).toBeVisible();
  await expect(row(page, `${tag}-one`)).toHaveCount(0);
  await expect(pager(page)).toContainText('共 1 条');

  // Nothing matches: the empty state says so.
  await search.fill(unique('nowhere'));
  await expect(page.getByText('没有符合条件的高可用VIP。')).toBeVisible();

  await search.fill(`${tag}-two`);
  await expect(row(page, `${tag}-one`)).toHaveCount(0);
  await expect(row(page, `${tag}-two`)).toBeVisible();
  await reload(page);
  await expect(search).toHaveValue(`${tag}-two`);
  await expect(row(page, `${tag}-two`)).toBeVisible();
  await expect(row(page, `${tag}-one`)).toHaveCount(0);
  await expect(pager(page)).toContainText('共 1 条');
});

test('a subnet filter and a page change survive a reload', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  await createSettled(page, [
    ...Array.from({ length: 23 }, (_, i) => ({ name: `paged-${String(i).padStart(2, '0')}`, vpc_id: tenant.vpc, subnet_id: tenant.subnet })),
    { name: 'in-the-back', vpc_id: tenant.vpc, subnet_id: tenant.otherSubnet },
  ]);
  await reload(page);
  await expect(pager(page)).toContainText('共 24 条');

  await page.getByLabel('子网').selectOption({ label: 'front (10.20.1.0/24)' });
  await expect(pager(page)).toContainText('共 23 条');
  await expect(pager(page)).toContainText('第 1 / 2 页');
  await pager(page).getByRole('link', { name: '下一页' }).click();
  await expect(pager(page)).toContainText('第 2 / 2 页');
  // Newest first by default: the three oldest are on page 2.
  await expect.poll(() => shownNames(page)).toEqual(['paged-02', 'paged-01', 'paged-00']);
  const url = page.url();
  expect(url).toContain(`subnet_id=${tenant.subnet}`);
  expect(url).toContain('page=2');

  await reload(page);
  expect(page.url()).toBe(url);
  await expect(pager(page)).toContainText('第 2 / 2 页');
  await expect(pager(page)).toContainText('共 23 条');
  await expect(page.getByLabel('子网')).toHaveValue(tenant.subnet);
  await expect.poll(() => shownNames(page)).toEqual(['paged-02', 'paged-01', 'paged-00']);
  await expect(row(page, 'in-the-back')).toHaveCount(0);

  // The back button returns to the first page of the same filter.
  await page.goBack();
  await expect(pager(page)).toContainText('第 1 / 2 页');
  await expect(page.getByRole('row')).toHaveCount(21);
  await expect(row(page, 'paged-22')).toBeVisible();
});

test('a status filter, a sort, a page size and a page change live in the URL', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const names = Array.from({ length: 23 }, (_, i) => `s-${String(i).padStart(2, '0')}`);
  // Created in a shuffled order, so that sorting by name differs from the creation order.
  const shuffled = [...names].sort(() => Math.random() - 0.5);
  await createSettled(page, shuffled.map((name) => ({ name, vpc_id: tenant.vpc, subnet_id: tenant.subnet })));
  await reload(page);

  // The status filter is a drop-down of checkboxes.
  const statusMenu = page.getByRole('button', { name: /^状态/ });
  await statusMenu.click();
  await page.getByRole('checkbox', { name: '失败' }).check();
  await expect(page).toHaveURL(/status=failed/);
  await expect(page.getByText('没有符合条件的高可用VIP。')).toBeVisible();
  await page.getByRole('checkbox', { name: '失败' }).uncheck();
  await page.getByRole('checkbox', { name: '可用' }).check();
  await expect(page).toHaveURL(/status=available/);
  await expect(page).not.toHaveURL(/status=failed/);
  await expect(statusMenu).toHaveText(/状态 \(1\)/);
  await expect(pager(page)).toContainText('共 23 条');
  // Close the drop-down again: while open it can lie over the table's headers.
  await statusMenu.click();
  await expect(page.getByRole('checkbox', { name: '可用' })).toBeHidden();

  // Sort by name: ascending first.
  await page.getByRole('button', { name: /名称\/备注/ }).click();
  await expect(page).toHaveURL(/sort=name/);
  await expect(page.getByRole('columnheader', { name: /名称\/备注/ })).toHaveAttribute('aria-sort', 'ascending');
  await expect.poll(() => shownNames(page)).toEqual(names.slice(0, 20));
  await pager(page).getByRole('link', { name: '下一页' }).click();
  await expect.poll(() => shownNames(page)).toEqual(names.slice(20));
  await expect(pager(page)).toContainText('第 2 / 2 页');

  const url = page.url();
  await reload(page);
  expect(page.url()).toBe(url);
  await expect.poll(() => shownNames(page)).toEqual(names.slice(20));
  await expect(pager(page)).toContainText('第 2 / 2 页');
  await expect(statusMenu).toHaveText(/状态 \(1\)/);
  await statusMenu.click();
  await expect(page.getByRole('checkbox', { name: '可用' })).toBeChecked();
  await expect(page.getByRole('checkbox', { name: '失败' })).not.toBeChecked();
  await statusMenu.click();
  await expect(page.getByRole('columnheader', { name: /名称\/备注/ })).toHaveAttribute('aria-sort', 'ascending');

  // Sorting again reverses the order; a larger page holds every row.
  await page.getByRole('button', { name: /名称\/备注/ }).click();
  await expect(page.getByRole('columnheader', { name: /名称\/备注/ })).toHaveAttribute('aria-sort', 'descending');
  await pager(page).getByLabel('每页条数').selectOption('50');
  await expect(page).toHaveURL(/page_size=50/);
  await expect(pager(page)).toContainText('第 1 / 1 页');
  await expect.poll(() => shownNames(page)).toEqual([...names].reverse());
  await reload(page);
  await expect(pager(page).getByLabel('每页条数')).toHaveValue('50');
  await expect.poll(() => shownNames(page)).toEqual([...names].reverse());
});

test('a link filtering by VM shows the filter, which can be removed, and an odd page size shows as it is', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const [vm] = tenant.vms;
  await createSettled(page, [
    { name: 'on-the-vm', vpc_id: tenant.vpc, subnet_id: tenant.subnet, vm_ids: [vm.id] },
    { name: 'elsewhere', vpc_id: tenant.vpc, subnet_id: tenant.subnet },
  ]);
  await page.goto(`${base()}/havips?vm_id=${vm.id}&page_size=30`);
  await hydrated(page);
  await expect(row(page, 'on-the-vm')).toBeVisible();
  await expect(row(page, 'elsewhere')).toHaveCount(0);
  await expect(page.getByText(`虚拟机：${vm.id}`)).toBeVisible();
  await expect(pager(page).getByLabel('每页条数')).toHaveValue('30');
  await page.getByRole('button', { name: '移除虚拟机筛选' }).click();
  await expect(row(page, 'elsewhere')).toBeVisible();
  await expect(page.getByText(`虚拟机：${vm.id}`)).toHaveCount(0);
  await expect(page).toHaveURL(/\/havips\?page_size=30$/);
});

test('the status drop-down closes when the user clicks elsewhere', async ({ page }) => {
  await login(page);
  const statusMenu = page.getByRole('button', { name: /^状态/ });
  await statusMenu.click();
  await expect(page.getByRole('checkbox', { name: '删除中' })).toBeVisible();
  // A click outside the menu (on the page title) closes it, like any menu of a console. Left
  // open, it lies over the table's header row (which header depends on the toolbar's width),
  // and a click meant for a sort button there toggles a status checkbox instead.
  await page.getByRole('heading', { name: '高可用VIP' }).click();
  await expect(page.getByRole('checkbox', { name: '删除中' })).toBeHidden();
});

test('the language switch changes the headers and is remembered', async ({ page }) => {
  await login(page);
  await expect(page.getByRole('columnheader', { name: '资源ID' })).toBeVisible();
  await page.getByRole('button', { name: 'English' }).click();
  await expect(page.getByRole('columnheader', { name: 'Resource ID' })).toBeVisible();
  await expect(page.getByRole('columnheader', { name: '资源ID' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Create', exact: true })).toBeVisible();
  await expect(page).toHaveTitle(/High-availability VIPs/);
  await expect(page.locator('html')).toHaveAttribute('lang', /^en/);

  await reload(page);
  await expect(page.getByRole('columnheader', { name: 'Resource ID' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'English' })).toHaveAttribute('aria-pressed', 'true');

  await page.getByRole('button', { name: '中文' }).click();
  await expect(page.getByRole('columnheader', { name: '资源ID' })).toBeVisible();
  await expect(page.getByRole('button', { name: '新建' })).toBeVisible();
  await reload(page);
  await expect(page.getByRole('columnheader', { name: '资源ID' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', /^zh/);
});

test('the copy button beside an ID copies it', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const [made] = await createSettled(page, [{ name: unique('copy-'), vpc_id: tenant.vpc, subnet_id: tenant.subnet }]);
  await reload(page);
  await page.getByRole('button', { name: `复制 ${made.id}` }).click();
  await expect(toasts(page).getByText(`已复制 ${made.id}`)).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(made.id);
});

test('the copy button works where the page has no Clipboard API (plain HTTP)', async ({ page }) => {
  // Over plain HTTP (not localhost) browsers leave navigator.clipboard out.
  await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'clipboard', { get: () => undefined }));
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const [made] = await createSettled(page, [{ name: unique('copy-'), vpc_id: tenant.vpc, subnet_id: tenant.subnet }]);
  await reload(page);
  await page.getByRole('button', { name: `复制 ${made.id}` }).click();
  await expect(toasts(page).getByText(`已复制 ${made.id}`)).toBeVisible();
  // What was copied pastes.
  const search = page.getByRole('searchbox', { name: '搜索' });
  await search.focus();
  await page.keyboard.press('ControlOrMeta+V');
  await expect(search).toHaveValue(made.id);
});

test.describe('in China (UTC+8)', () => {
  test.use({ timezoneId: 'Asia/Shanghai' });

  test('creation times show in the browser\'s zone, and the server renders them so from then on', async ({ page }) => {
    const tenant = freshTenant();
    await login(page, tenant.username, tenant.password);
    const [made] = await createSettled(page, [{ name: unique('zone-'), vpc_id: tenant.vpc, subnet_id: tenant.subnet }]);
    await reload(page);
    const shanghai = new Date(Date.parse(made.created_at) + 8 * 3600_000).toISOString();
    const [date, time] = [shanghai.slice(0, 10), shanghai.slice(11, 19)];
    const created = cell(row(page, made.name), '创建时间');
    await expect(created).toContainText(date);
    await expect(created).toContainText(time);
    // The browser told the server its zone: the page comes rendered in it.
    const html = await (await page.request.get(`${base()}/havips`)).text();
    expect(html).toContain(time);
  });
});

test('a link that filters on a VPC or subnet the tenant does not have says so', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  await page.goto(`${base()}/havips?vpc_id=vpc-nosuchvpc1&subnet_id=subnet-nosuchnet1`);
  await hydrated(page);
  const vpc = page.getByRole('combobox', { name: 'VPC' });
  await expect(vpc).toHaveValue('vpc-nosuchvpc1');
  await expect(vpc.locator('option:checked')).toHaveText('未知 VPC（vpc-nosuchvpc1）');
  const subnet = page.getByRole('combobox', { name: '子网' });
  await expect(subnet).toHaveValue('subnet-nosuchnet1');
  await expect(subnet.locator('option:checked')).toHaveText('未知子网（subnet-nosuchnet1）');
  // Choosing all VPCs again is one step.
  await vpc.selectOption('');
  await expect(page).not.toHaveURL(/vpc_id=/);
});

test('long names and remarks take two lines at most, whole on hover; the whole header cell sorts', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const name = Array.from({ length: 12 }, (_, i) => `segment${i}`).join(' ').slice(0, 120);
  const remark = Array.from({ length: 30 }, (_, i) => `note${i}`).join(' ');
  await createHavip(page, { name, remark, vpc_id: tenant.vpc, subnet_id: tenant.subnet });
  await reload(page);
  const shownName = page.locator(`#name-${(await (await page.request.get(`${base()}/api/v1/havips?q=segment0`)).json()).items[0].id}`);
  await expect(shownName).toHaveAttribute('title', name);
  const lineHeight = await shownName.evaluate((e) => parseFloat(getComputedStyle(e).lineHeight));
  const nameBox = (await shownName.boundingBox())!;
  expect(nameBox.height, 'two lines at most').toBeLessThanOrEqual(2 * lineHeight + 1);
  const shownRemark = page.locator('.remark').filter({ hasText: 'note0' });
  await expect(shownRemark).toHaveAttribute('title', remark);
  const remarkHeight = await shownRemark.evaluate((e) => parseFloat(getComputedStyle(e).lineHeight));
  expect((await shownRemark.boundingBox())!.height).toBeLessThanOrEqual(2 * remarkHeight + 1);

  // A click anywhere in the header cell sorts, not only on its words.
  const header = page.getByRole('columnheader', { name: /名称\/备注/ });
  const box = (await header.boundingBox())!;
  await page.mouse.click(box.x + box.width - 4, box.y + box.height / 2);
  await expect(page).toHaveURL(/sort=name/);
});

test('before the WebAssembly arrives, the list reads, and its pager, page size and search work as links and forms', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const tag = unique('plain');
  const names = Array.from({ length: 12 }, (_, i) => `${tag}-${String(i).padStart(2, '0')}`);
  await createSettled(page, [...names, 'zz-other'].map((name) => ({ name, vpc_id: tenant.vpc, subnet_id: tenant.subnet })));
  // From here on the WebAssembly never arrives: the page is what the server sent.
  await page.route(/\.wasm$/, (route) => route.abort());
  // Two statuses: a key that repeats must come through links and forms whole.
  await page.goto(`${base()}/havips?sort=name&page_size=10&status=available&status=failed`);
  await expect.poll(() => shownNames(page)).toEqual(names.slice(0, 10));
  await expect(page.locator('body[data-hydrated]')).toHaveCount(0);
  const params = () => new URL(page.url()).searchParams;
  const keptTheView = () => {
    expect(params().getAll('status')).toEqual(['available', 'failed']);
    expect(params().getAll('sort')).toEqual(['name']);
  };

  await pager(page).getByRole('link', { name: '下一页' }).click();
  await expect(page).toHaveURL(/[?&]page=2/);
  await expect.poll(() => shownNames(page)).toEqual([...names.slice(10), 'zz-other']);
  keptTheView();

  // A new size starts again at page 1.
  await pager(page).getByLabel('每页条数').selectOption('50');
  await pager(page).getByRole('button', { name: '应用' }).click();
  await expect(page).toHaveURL(/page_size=50/);
  expect(params().getAll('page_size')).toEqual(['50']);
  expect(params().has('page')).toBe(false);
  keptTheView();
  await expect(pager(page)).toContainText('第 1 / 1 页');

  const search = page.getByRole('searchbox', { name: '搜索' });
  await search.fill('ZZ-OTH');
  await search.press('Enter');
  await expect(page).toHaveURL(/q=ZZ-OTH/);
  await expect.poll(() => shownNames(page)).toEqual(['zz-other']);
  expect(params().getAll('page_size')).toEqual(['50']);
  keptTheView();
  // The box shows the search the page was made for (as the list applies it, in lower case).
  await expect(search).toHaveValue('zz-oth');
  await expect(pager(page).getByRole('link', { name: '上一页' })).toHaveAttribute('aria-disabled', 'true');
});

test('a search typed and a size chosen before the WebAssembly arrives are applied once it has', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const tag = unique('early');
  await createSettled(page, [`${tag}-a`, `${tag}-b`, 'other'].map((name) => ({ name, vpc_id: tenant.vpc, subnet_id: tenant.subnet })));
  // The WebAssembly waits until the test lets it through.
  let release = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  await page.route(/\.wasm$/, async (route) => {
    await gate;
    await route.continue();
  });
  await page.goto(`${base()}/havips`);
  await expect(row(page, 'other')).toBeVisible();
  await page.getByRole('searchbox', { name: '搜索' }).fill(`${tag}-`);
  await pager(page).getByLabel('每页条数').selectOption('50');
  release();
  await hydrated(page);
  await expect(page).toHaveURL(new RegExp(`q=${tag}-`));
  await expect(page).toHaveURL(/page_size=50/);
  await expect.poll(() => shownNames(page)).toEqual([`${tag}-b`, `${tag}-a`]);
  await expect(page.getByRole('searchbox', { name: '搜索' })).toHaveValue(`${tag}-`);
});

test('once hydrated, the pager links page without loading the page again, and the apply button is gone', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const tag = unique('linked');
  const names = Array.from({ length: 3 }, (_, i) => `${tag}-${i}`);
  await createSettled(page, names.map((name) => ({ name, vpc_id: tenant.vpc, subnet_id: tenant.subnet })));
  await page.goto(`${base()}/havips?sort=name&page_size=2`);
  await hydrated(page);
  await expect(pager(page).getByRole('button', { name: '应用' })).toBeHidden();
  // A full load would lose this mark; client-side paging keeps it.
  await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
  await pager(page).getByRole('link', { name: '下一页' }).click();
  await expect.poll(() => shownNames(page)).toEqual(names.slice(2));
  expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
  await expect(pager(page).getByRole('link', { name: '下一页' })).toHaveAttribute('aria-disabled', 'true');
});

test('a search for text that looks like an escape (100%41) finds that text, and keeps it through a reload', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const tag = unique('pct');
  await createSettled(page, [
    { name: `${tag}-code`, remark: 'rate 100%41 here', vpc_id: tenant.vpc, subnet_id: tenant.subnet },
    { name: `${tag}-plain`, remark: 'rate 100a here', vpc_id: tenant.vpc, subnet_id: tenant.subnet },
  ]);
  await reload(page);
  const search = page.getByRole('searchbox', { name: '搜索' });
  await search.fill('100%41');
  await expect.poll(() => shownNames(page)).toEqual([`${tag}-code`]);
  await expect(search).toHaveValue('100%41');
  await reload(page);
  await expect.poll(() => shownNames(page)).toEqual([`${tag}-code`]);
  await expect(search).toHaveValue('100%41');
});
