import { expect, test } from '@playwright/test';
import { base, hydrated, login, row } from './helpers';

test('log in, see only the tenant\'s HAVIPs, log out, and the console is gone', async ({ page }) => {
  await page.goto(`${base()}/havips`);
  await expect(page).toHaveURL(/\/login\?next=/);
  await login(page, 'acme', 'acme1234');
  await expect(row(page, 'acme-web')).toBeVisible();
  await expect(row(page, 'web-vip')).toHaveCount(0);
  await page.getByRole('searchbox', { name: '搜索' }).fill('web-vip');
  await expect(page.getByText('没有符合条件的高可用VIP。')).toBeVisible();
  await page.getByLabel('用户菜单').click();
  await page.getByRole('button', { name: '退出登录' }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto(`${base()}/havips`);
  await expect(page).toHaveURL(/\/login\?next=/);
  const api = await page.request.get(`${base()}/api/v1/havips`);
  expect(api.status()).toBe(401);
});

test('a wrong password is refused on the form', async ({ page }) => {
  await page.goto(`${base()}/login`);
  await hydrated(page);
  await page.getByLabel('用户名').fill('demo');
  await page.getByLabel('密码').fill('not the password');
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page.getByRole('alert')).toHaveText('用户名或密码错误');
  await expect(page).toHaveURL(/\/login/);
});
