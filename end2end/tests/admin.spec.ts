// Issue 18: tenant administration in the console — 用户管理 (users, for admins only) and 操作日志
// (the operation log with its filters in the URL and its download), in both languages.

import { expect, test, type Browser, type Page } from '@playwright/test';
import ExcelJS from 'exceljs';
import { base, createHavip, freshTenant, hydrated, login, toasts, unique } from './helpers';

/** Signs in as `username` in a browser context of its own (another person at another desk). */
async function signInElsewhere(browser: Browser, username: string, password: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await login(page, username, password);
  return page;
}

/** Makes a member through the page's session; answers its name and password. */
async function makeMember(page: Page) {
  const username = unique('member');
  const password = 'member-password-1';
  const response = await page.request.post(`${base()}/api/v1/users`, { data: { username, role: 'member', password } });
  expect(response.status(), await response.text()).toBe(201);
  return { username, password, id: (await response.json()).user.id as string };
}

const userRow = (page: Page, username: string) => page.locator(`tr[data-username="${username}"]`);

test('an admin makes a member, who signs in with the password shown once; disabling it ends its session', async ({ page, browser }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  await page.getByRole('navigation').getByRole('link', { name: '用户管理' }).click();
  await expect(page).toHaveURL(/\/users$/);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: '用户管理' })).toBeVisible();
  await expect(userRow(page, tenant.username)).toContainText('（你）');
  await expect(userRow(page, tenant.username)).toContainText('管理员');

  // The browser checks the username with the server's rule and says which character is wrong.
  await page.getByRole('button', { name: '新建用户' }).click();
  const dialog = page.getByRole('dialog', { name: '新建用户' });
  await dialog.getByLabel('用户名').fill('bad name');
  await expect(dialog.getByText(/用户名为 2–64 个字符/)).toBeVisible();
  const username = unique('member');
  await dialog.getByLabel('用户名').fill(username);
  await expect(dialog.getByText(/用户名为 2–64 个字符/)).toBeHidden();
  // No password typed: one is generated and shown this once.
  await dialog.getByRole('button', { name: '新建', exact: true }).click();
  const shown = page.getByRole('dialog', { name: '密码' });
  await expect(shown.getByText(`${username} 的密码只显示这一次`)).toBeVisible();
  const password = (await shown.locator('.mono').textContent())!.trim();
  expect(password).toHaveLength(20);
  await shown.getByRole('button', { name: '关闭', exact: true }).click();
  await expect(userRow(page, username)).toContainText('成员');
  await expect(userRow(page, username)).toContainText('从未登录');

  // The member signs in with it; it sees no 用户管理, and the page tells it why if it goes there.
  const member = await signInElsewhere(browser, username, password);
  await expect(member.getByRole('navigation').getByRole('link', { name: '操作日志' })).toBeVisible();
  await expect(member.getByRole('navigation').getByRole('link', { name: '用户管理' })).toHaveCount(0);
  await member.goto(`${base()}/users`);
  await expect(member.getByText('只有租户管理员可以管理用户。')).toBeVisible();

  // Disabled (after a confirmation), the member's open session ends at once.
  await userRow(page, username).getByRole('button', { name: '停用' }).click();
  const confirm = page.getByRole('dialog', { name: '停用' });
  await expect(confirm).toContainText(`确定停用用户 ${username}？`);
  await confirm.getByRole('button', { name: '停用' }).click();
  await expect(toasts(page).getByText(`已更新用户 ${username}`)).toBeVisible();
  await expect(userRow(page, username)).toContainText('已停用');
  await member.goto(`${base()}/havips`);
  await expect(member).toHaveURL(/\/login/);

  // The tenant's last enabled admin stays one.
  await userRow(page, tenant.username).getByRole('button', { name: '设为成员' }).click();
  await expect(toasts(page).getByText('租户至少需要一个启用的管理员，请先将其他用户设为管理员')).toBeVisible();
  await expect(userRow(page, tenant.username)).toContainText('管理员');
});

test('a refused new user keeps the dialog and what was typed, the error beside its field', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  await page.goto(`${base()}/users`);
  await hydrated(page);
  await page.getByRole('button', { name: '新建用户' }).click();
  const dialog = page.getByRole('dialog', { name: '新建用户' });
  // A name the browser cannot know is taken: the admin's own.
  await dialog.getByLabel('用户名').fill(tenant.username);
  await dialog.getByLabel('密码').fill('a typed password');
  await dialog.getByRole('button', { name: '新建', exact: true }).click();
  await expect(dialog.getByText('用户名已被使用')).toBeVisible();
  await expect(dialog.getByLabel('用户名')).toHaveValue(tenant.username);
  await expect(dialog.getByLabel('密码')).toHaveValue('a typed password');
  // A short password is refused before anything is sent.
  await dialog.getByLabel('密码').fill('short');
  await expect(dialog.getByText(/密码为 8–256 个字符/)).toBeVisible();
});

test('操作日志 shows who did what, filtered in the URL, with more on demand', async ({ page, browser }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const member = await makeMember(page);
  const memberPage = await signInElsewhere(browser, member.username, member.password);
  const havip = await createHavip(memberPage, { name: unique('logged'), vpc_id: tenant.vpc, subnet_id: tenant.subnet });

  await page.getByRole('navigation').getByRole('link', { name: '操作日志' }).click();
  await expect(page).toHaveURL(/\/operations$/);
  await hydrated(page);
  // The member's create, and the server's own work that followed it.
  const onHavip = page.getByRole('row').filter({ hasText: havip.id });
  await expect(onHavip.filter({ hasText: '创建高可用VIP' })).toContainText(member.username);
  await expect(onHavip.filter({ hasText: '下发创建' })).toContainText('服务器');
  await expect(page.getByRole('row').filter({ hasText: '新建用户' })).toContainText(`${member.username} (member)`);

  // A filter goes into the URL and narrows the entries.
  await page.getByRole('combobox', { name: '操作' }).selectOption('session.sign_in');
  await page.getByRole('button', { name: '查询' }).click();
  await expect(page).toHaveURL(/\/operations\?action=session\.sign_in$/);
  const rows = page.locator('.log-table tbody tr');
  await expect(rows).toHaveCount(2);
  for (const text of await rows.allTextContents()) expect(text).toContain('登录');
  // The URL alone shows the same view (a link, a reload).
  await page.reload();
  await hydrated(page);
  await expect(rows).toHaveCount(2);
  await expect(page.getByRole('combobox', { name: '操作' })).toHaveValue('session.sign_in');

  // A page of one entry, then 加载更多 brings the older one.
  await page.goto(`${base()}/operations?action=session.sign_in&limit=1`);
  await hydrated(page);
  await expect(rows).toHaveCount(1);
  await page.getByRole('button', { name: '加载更多' }).click();
  await expect(rows).toHaveCount(2);
  await expect(page.getByRole('button', { name: '加载更多' })).toHaveCount(0);

  // The member reads only its own entries.
  await memberPage.goto(`${base()}/operations`);
  await hydrated(memberPage);
  const memberRows = memberPage.locator('.log-table tbody tr');
  await expect(memberRows.first()).toBeVisible();
  for (const text of await memberRows.allTextContents()) expect(text).toContain(member.username);
  await expect(memberPage.getByRole('combobox', { name: '用户' })).toHaveCount(0);

  // 重置 clears the URL and the form with it.
  await page.getByRole('button', { name: '重置' }).click();
  await expect(page).toHaveURL(/\/operations$/);
  await expect(page.getByRole('combobox', { name: '操作' })).toHaveValue('');
});

test('in English: the users page, the log and its download', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  await makeMember(page);
  await page.getByRole('button', { name: 'English' }).click();
  await page.getByRole('navigation').getByRole('link', { name: 'Users' }).click();
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();
  await expect(page.getByRole('columnheader', { name: 'Last sign-in' })).toBeVisible();
  await expect(userRow(page, tenant.username)).toContainText('(you)');
  await expect(page.getByRole('button', { name: 'Make admin' })).toBeVisible();

  await page.getByRole('navigation').getByRole('link', { name: 'Operation log' }).click();
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Operation log' })).toBeVisible();
  await page.getByRole('combobox', { name: 'Action' }).selectOption('user.create');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/action=user\.create/);
  await expect(page.locator('.log-table tbody tr')).toHaveCount(1);
  await expect(page.locator('.log-table tbody tr')).toContainText('Create user');

  const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()]);
  expect(file.suggestedFilename()).toMatch(/^operations-.*\.xlsx$/);
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(await file.path());
  const sheet = workbook.worksheets[0];
  expect(sheet.getRow(1).values).toEqual([undefined, 'Time', 'User', 'Action', 'Resource ID', 'Outcome', 'Detail', 'Request ID']);
  expect(sheet.rowCount, 'the filter applies to the file').toBe(2);
  expect(sheet.getRow(2).getCell(3).text).toBe('Create user');
  expect(sheet.getRow(2).getCell(2).text).toBe(tenant.username);
});

test('下载 offers the whole tenant or the current search, in the list order', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  for (const name of ['keep-b', 'keep-a', 'drop-c']) await createHavip(page, { name, vpc_id: tenant.vpc, subnet_id: tenant.subnet });
  await page.reload();
  await hydrated(page);
  // Nothing searched: one download, of everything.
  await expect(page.getByRole('button', { name: '下载当前结果' })).toHaveCount(0);
  await page.getByRole('searchbox', { name: '搜索' }).fill('keep');
  await expect(page).toHaveURL(/q=keep/);
  await page.getByRole('button', { name: /名称\/备注/ }).click();
  await expect(page).toHaveURL(/sort=name/);

  const sheet = async (label: string) => {
    const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: label, exact: true }).click()]);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(await file.path());
    const names: string[] = [];
    workbook.worksheets[0].eachRow((row, i) => { if (i > 1) names.push(row.getCell(1).text); });
    return names;
  };
  expect(await sheet('下载当前结果')).toEqual(['keep-a', 'keep-b']);
  expect((await sheet('下载')).sort()).toEqual(['drop-c', 'keep-a', 'keep-b']);
});
