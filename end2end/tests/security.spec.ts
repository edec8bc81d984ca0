// Issue 5: accounts and tenancy in the browser — signing in, seeing only the own tenant's
// HAVIPs, signing out.

import { expect, test } from '@playwright/test';
import { base, createHavip, freshTenant, hydrated, login, pager, row, unique } from './helpers';

test("log in, see only the tenant's HAVIPs, log out, and the console is gone", async ({ page, browser }) => {
  // A demo HAVIP's ID, seen by the demo user in a browser of its own.
  const demoContext = await browser.newContext({ locale: 'zh-CN' });
  const demoPage = await demoContext.newPage();
  await login(demoPage);
  const demoItems = (await (await demoPage.request.get(`${base()}/api/v1/havips?q=web-vip`)).json()).items;
  const demoWeb = demoItems.find((h: { name: string }) => h.name === 'web-vip');
  expect(demoWeb).toBeTruthy();
  await demoContext.close();

  // Signed out, the console sends to the login page, which comes back to the same view.
  await page.goto(`${base()}/havips?q=acme`);
  await expect(page).toHaveURL(/\/login\?next=/);
  await login(page, 'acme', 'acme1234', /\/havips\?q=acme$/);
  await expect(page.getByRole('searchbox', { name: '搜索' })).toHaveValue('acme');

  // Only acme's HAVIPs.
  await page.goto(`${base()}/havips`);
  await hydrated(page);
  await expect(row(page, 'acme-web')).toBeVisible();
  await expect(row(page, 'acme-db')).toBeVisible();
  await expect(pager(page)).toContainText('共 3 条');
  for (const name of ['web-vip', 'grafana-vip', 'kafka-vip']) await expect(row(page, name)).toHaveCount(0);
  await expect(page.getByLabel('用户菜单')).toContainText('acme');
  // Searching for the other tenant's names or IDs finds nothing.
  const search = page.getByRole('searchbox', { name: '搜索' });
  await search.fill('web-vip');
  await expect(page.getByText('没有符合条件的高可用VIP。')).toBeVisible();
  await search.fill(demoWeb.id);
  await expect(page.getByText('没有符合条件的高可用VIP。')).toBeVisible();
  // The other tenant's ID behaves like one that does not exist.
  expect((await page.request.get(`${base()}/api/v1/havips/${demoWeb.id}`)).status()).toBe(404);
  expect((await page.request.delete(`${base()}/api/v1/havips/${demoWeb.id}`)).status()).toBe(404);

  // Sign out from the user menu.
  await page.getByLabel('用户菜单').click();
  await page.getByRole('button', { name: '退出登录' }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto(`${base()}/havips`);
  await expect(page).toHaveURL(/\/login\?next=/);
  await expect(page.getByRole('button', { name: '登录' })).toBeVisible();
  const api = await page.request.get(`${base()}/api/v1/havips`);
  expect(api.status()).toBe(401);
});

test("after signing out, Back shows the login page and nothing of the tenant's", async ({ page }) => {
  const tenant = freshTenant(0);
  await login(page, tenant.username, tenant.password);
  const name = unique('private');
  await createHavip(page, { name, vpc_id: tenant.vpc, subnet_id: tenant.subnet, vm_ids: [] });
  const shown = await page.goto(`${base()}/havips?q=${name}`);
  await hydrated(page);
  await expect(row(page, name)).toBeVisible();
  // Neither the page nor an API answer is kept by the browser once shown.
  expect(shown?.headers()['cache-control']).toBe('no-store');
  expect((await page.request.get(`${base()}/api/v1/havips`)).headers()['cache-control']).toBe('no-store');

  await page.getByLabel('用户菜单').click();
  await page.getByRole('button', { name: '退出登录' }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goBack();
  await expect(page).toHaveURL(/\/login\?next=/);
  await expect(page.getByRole('button', { name: '登录' })).toBeVisible();
  await expect(page.getByText(name)).toHaveCount(0);
});

test('a wrong password is refused on the form', async ({ page }) => {
  await page.goto(`${base()}/login`);
  await hydrated(page);
  await page.getByLabel('用户名').fill('demo');
  await page.getByLabel('密码').fill('not the password');
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page.getByRole('alert')).toHaveText('用户名或密码错误');
  await expect(page).toHaveURL(/\/login/);
  // The form keeps the user name for another try.
  await expect(page.getByLabel('用户名')).toHaveValue('demo');
});

test('a session that ends while the list is open leads to the login page, which comes back to the same view', async ({ page, context }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  // The session ends (idle expiry, or a sign-out elsewhere): the browser no longer has it.
  await context.clearCookies({ name: 'havip_session' });
  const wanted = unique('after');
  await page.getByRole('searchbox', { name: '搜索' }).fill(wanted);
  // The list's load is refused: no 重试 can help, so the login page comes, told where to return.
  await expect(page).toHaveURL(new RegExp(`/login\\?next=${encodeURIComponent(`/havips?q=${wanted}`)}$`));
  await login(page, tenant.username, tenant.password, new RegExp(`/havips\\?q=${wanted}$`));
  await expect(page.getByRole('searchbox', { name: '搜索' })).toHaveValue(wanted);
  await expect(page.getByText('没有符合条件的高可用VIP。')).toBeVisible();
});

test('a session that ends while a dialog is open: sign in again in place, and the save goes through', async ({ page, context }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  await page.getByRole('button', { name: '新建' }).click();
  const dialog = page.getByRole('dialog', { name: '新建高可用VIP' });
  const name = unique('late-');
  await dialog.getByLabel('名称').fill(name);
  // The VPC's VMs have arrived: the only request left to be refused is the submission.
  await expect(dialog.getByRole('checkbox').first()).toBeVisible();
  await context.clearCookies({ name: 'havip_session' });
  await dialog.getByRole('button', { name: '确认创建' }).click();
  // The page stays, the dialog keeps what was typed, and a sign-in comes over it.
  const again = page.getByRole('dialog', { name: '登录已失效' });
  await expect(again.getByText('登录已失效，请重新登录')).toBeVisible();
  await expect(page).toHaveURL(/\/havips$/);
  await expect(dialog.getByLabel('名称')).toHaveValue(name);
  // The keyboard stays in the sign-in: Tab and Shift+Tab go round its controls, never into
  // the dialog under it.
  await expect(again.getByLabel('密码')).toBeFocused();
  const focusInside = () => page.evaluate(() => !!document.activeElement?.closest('.session-overlay'));
  for (const key of ['Tab', 'Tab', 'Tab', 'Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab']) {
    await page.keyboard.press(key);
    expect(await focusInside(), `after ${key}`).toBe(true);
  }
  await again.getByLabel('用户名').fill(tenant.username);
  await again.getByLabel('密码').fill('a wrong password');
  await again.getByRole('button', { name: '登录' }).click();
  await expect(again.getByText('用户名或密码错误')).toBeVisible();
  await again.getByLabel('密码').fill(tenant.password);
  await again.getByRole('button', { name: '登录' }).click();
  await expect(again).toBeHidden();
  await dialog.getByRole('button', { name: '确认创建' }).click();
  await expect(dialog).toBeHidden();
  await expect(row(page, name)).toBeVisible();
});

test('a user makes a named API token in the console, a script uses it, and revoking it ends it', async ({ page, context, playwright }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  await page.getByLabel('用户菜单').click();
  await page.getByRole('button', { name: 'API 密钥' }).click();
  // The menu closes as the dialog opens.
  await expect(page.getByRole('button', { name: '退出登录' })).toBeHidden();
  const dialog = page.getByRole('dialog', { name: 'API 密钥' });
  await expect(dialog.getByText('还没有 API 密钥。')).toBeVisible();

  // A token needs a name, checked before anything is sent.
  const sent: string[] = [];
  page.on('request', (request) => {
    if (request.url().includes('/api/fn/create_api_token')) sent.push(request.url());
  });
  await dialog.getByRole('button', { name: '新建密钥' }).click();
  await expect(dialog.getByText('密钥名称为 1–64 个字符，且不能包含控制字符')).toBeVisible();
  expect(sent, 'nothing was sent').toEqual([]);
  await expect(dialog.getByText('还没有 API 密钥。')).toBeVisible();
  await dialog.getByLabel('密钥名称').fill('ci deploy');
  await dialog.getByRole('button', { name: '新建密钥' }).click();
  await expect(dialog.getByText(/只显示这一次/)).toBeVisible();
  const shown = dialog.getByText(/^havip_/);
  const secret = (await shown.textContent())!.match(/havip_[A-Za-z0-9_-]+/)![0];
  // Copying it says so without repeating it.
  await dialog.getByRole('button', { name: '复制 密钥' }).click();
  await expect(page.getByRole('status').getByText('已复制', { exact: true })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
  await expect(dialog.getByRole('row')).toHaveCount(2);
  const tokenRow = dialog.getByRole('row').filter({ hasText: 'ci deploy' });
  await expect(tokenRow).toContainText('从未使用');

  // A script with the token acts as the user; the dialog then says when it was last used.
  const script = await playwright.request.newContext({ extraHTTPHeaders: { Authorization: `Bearer ${secret}` } });
  expect((await script.get(`${base()}/api/v1/havips`)).status()).toBe(200);
  await page.keyboard.press('Escape');
  await expect.poll(async () => {
    const tokens = await (await page.request.get(`${base()}/api/v1/tokens`)).json();
    return tokens[0].last_used_at;
  }).not.toBeNull();
  await page.getByLabel('用户菜单').click();
  await page.getByRole('button', { name: 'API 密钥' }).click();
  await expect(tokenRow).not.toContainText('从未使用');
  await expect(tokenRow).toContainText(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);

  // Revoking asks once more, then the token is gone, and so is its secret from the dialog.
  await dialog.getByRole('button', { name: /^撤销 tok-/ }).click();
  await dialog.getByRole('button', { name: /^确认撤销 tok-/ }).click();
  await expect(page.getByRole('status').getByText(/已撤销密钥 tok-/)).toBeVisible();
  await expect(dialog.getByText('还没有 API 密钥。')).toBeVisible();
  await expect(shown).toHaveCount(0);
  expect((await script.get(`${base()}/api/v1/havips`)).status()).toBe(401);
  await script.dispose();

  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
});

test('an empty login form is refused in the browser; a rate-limited login says how long to wait', async ({ page }) => {
  const sent: string[] = [];
  page.on('request', (request) => {
    if (request.url().includes('/api/fn/login')) sent.push(request.url());
  });
  await page.goto(`${base()}/login`);
  await hydrated(page);
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page.getByText('请输入用户名和密码')).toBeVisible();
  await expect(page.getByLabel('用户名')).toBeFocused();
  await page.getByLabel('用户名').fill('someone');
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page.getByLabel('密码')).toBeFocused();
  expect(sent, 'nothing was sent').toEqual([]);

  // The server's refusal after too many failures, as it answers it (server/tests/api/security.rs
  // checks that it does): the page turns its seconds into minutes.
  await page.route('**/api/fn/login', (route) =>
    route.fulfill({
      status: 429,
      headers: { serverfnerror: '/api/fn/login' },
      contentType: 'application/json',
      body: JSON.stringify({ code: 'TooManyRequests', field: null, detail: 'try again in 541 s', retry_after_secs: 541 }),
    }),
  );
  await page.getByLabel('密码').fill('a guess');
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page.getByText('尝试次数过多，请 10 分钟后再试')).toBeVisible();
});
