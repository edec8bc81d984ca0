// Issue 16, item 8: what the console says stays until it was read, and the keyboard lands where
// the user needs it — on the first field to correct, back on the control that opened a popup.

import { expect, test } from '@playwright/test';
import { createHavip, freshTenant, hydrated, login, toasts } from './helpers';

test('an error toast stays until closed; a success toast goes by itself', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  // Time flows as usual, and the test moves it on where the toasts wait.
  await page.clock.install();
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const havip = await createHavip(page, { name: 'toast-vip', vpc_id: tenant.vpc, subnet_id: tenant.subnet });
  await page.reload();
  await hydrated(page);

  await page.getByRole('button', { name: `复制 ${havip.id}` }).click();
  const copied = toasts(page).getByText('已复制', { exact: false });
  await expect(copied).toBeVisible();
  await page.clock.fastForward(6_000);
  await expect(copied).toBeHidden();

  await page.route(/\/api\/v1\/havips\/export\?/, (route) =>
    route.fulfill({
      status: 503,
      contentType: 'application/json',
      body: JSON.stringify({ error: { code: 'ServiceUnavailable', message: 'database unavailable' } }),
    }),
  );
  await page.getByRole('button', { name: '下载', exact: true }).click();
  const refused = toasts(page).getByText('服务暂时不可用，请稍后重试');
  await expect(refused).toBeVisible();
  await page.clock.fastForward(60_000);
  await expect(refused).toBeVisible();
  await toasts(page).getByRole('button', { name: '关闭' }).click();
  await expect(refused).toBeHidden();
});

test('after a refused submit the focus goes to the first field to correct', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  await page.getByRole('button', { name: '新建' }).click();
  const dialog = page.getByRole('dialog', { name: '新建高可用VIP' });
  await dialog.getByRole('button', { name: '确认创建' }).click();
  await expect(dialog.getByLabel('名称')).toBeFocused();

  // The name is fixed; the address is the gateway, which R5 refuses.
  await dialog.getByLabel('名称').fill('focus-vip');
  await dialog.getByLabel('IP 地址').fill('10.20.1.1');
  await dialog.getByRole('button', { name: '确认创建' }).focus();
  await dialog.getByRole('button', { name: '确认创建' }).click();
  await expect(dialog.getByLabel('IP 地址')).toBeFocused();
});

test('Escape on a drop-down closes it and gives the focus back to its button', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const status = page.locator('details.dropdown > summary').first();
  await status.click();
  await expect(page.getByRole('checkbox', { name: '可用' })).toBeVisible();
  await page.getByRole('checkbox', { name: '可用' }).focus();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('checkbox', { name: '可用' })).toBeHidden();
  await expect(status).toBeFocused();

  const userMenu = page.getByLabel('用户菜单');
  await userMenu.click();
  await page.getByRole('button', { name: '退出登录' }).focus();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('button', { name: '退出登录' })).toBeHidden();
  await expect(userMenu).toBeFocused();
});
