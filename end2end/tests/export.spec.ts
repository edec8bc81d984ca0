// Issue 6: 下载 — an .xlsx of all the tenant's HAVIPs (not only the page shown), with the
// list's columns, headers in the UI language, and text never run as a formula.

import { expect, test, type Page } from '@playwright/test';
import ExcelJS from 'exceljs';
import { createSettled, freshTenant, login, pager, reload, shownTotal, toasts } from './helpers';

/** The rows of the workbook's first sheet as a spreadsheet program reads them, blank cells included. */
async function sheetRows(file: string): Promise<ExcelJS.Cell[][]> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(file);
  const sheet = workbook.worksheets[0];
  const rows: ExcelJS.Cell[][] = [];
  sheet.eachRow({ includeEmpty: true }, (row) => {
    rows.push(Array.from({ length: sheet.columnCount }, (_, i) => row.getCell(i + 1)));
  });
  return rows;
}

/** Clicks the toolbar's download button (named `label`) and answers the download's name and rows. */
async function download(page: Page, label = '下载') {
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: label, exact: true }).click()]);
  expect(await file.failure()).toBeNull();
  return { name: file.suggestedFilename(), rows: await sheetRows(await file.path()) };
}

const texts = (cells: ExcelJS.Cell[]) => cells.map((c) => c.text);

test('下载 downloads every HAVIP of the tenant as .xlsx', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const names = Array.from({ length: 25 }, (_, i) => `export-${String(i).padStart(2, '0')}`);
  // The first five are bound to a VM (a VM carries at most five HAVIPs).
  await createSettled(
    page,
    names.map((name, i) => ({ name, vpc_id: tenant.vpc, subnet_id: tenant.subnet, vm_ids: i < 5 ? [tenant.vms[0].id] : [] })),
  );
  await reload(page);
  const total = await shownTotal(page);
  expect(total).toBe(25);
  // The page shows 20 of them; the file has them all.
  await expect(pager(page)).toContainText('第 1 / 2 页');

  const { name, rows } = await download(page);
  expect(name).toMatch(/\.xlsx$/);
  const [header, ...data] = rows;
  expect(data.length, 'one row per HAVIP, all pages').toBe(total);
  expect(texts(header)).toEqual(['名称', '备注', '资源ID', '状态', 'VPC', '子网', 'IP 地址', '关联虚拟机', '主节点', '项目组', '创建时间']);
  expect(data.map((cells) => cells[0].text).sort()).toEqual(names);
  for (const cells of data) {
    expect(cells[3].text).toBe('可用');
    // No agent reports in this tenant: no master is guessed.
    expect(cells[8].text).toBe('—');
    // The creation time is a real date (a number with a date format), not text.
    expect(cells[10].type, `${cells[10].address} is a date`).toBe(ExcelJS.ValueType.Date);
    expect((cells[10].value as Date).getFullYear()).toBeGreaterThanOrEqual(2026);
  }
  const bound = data.filter((cells) => cells[7].text.includes(tenant.vms[0].name));
  expect(bound.length).toBe(5);
});

test('the download follows the language, and text is never a formula', async ({ page }) => {
  // The demo tenant has a HAVIP named -backup-vip whose remark starts with "=".
  await login(page);
  await page.getByRole('button', { name: 'English' }).click();
  await expect(page.getByRole('button', { name: 'Download' })).toBeVisible();
  const { name, rows } = await download(page, 'Download');
  expect(name).toMatch(/\.xlsx$/);
  const [header, ...data] = rows;
  expect(texts(header)).toContain('Resource ID');
  expect(texts(header)).not.toContain('资源ID');
  expect(rows.flat().filter((c) => c.type === ExcelJS.ValueType.Formula).map((c) => c.address), 'no formulas').toEqual([]);
  const backup = data.find((cells) => cells[0].text === '-backup-vip');
  expect(backup, 'the demo HAVIP -backup-vip is exported').toBeTruthy();
  expect(backup![1].type).toBe(ExcelJS.ValueType.String);
  expect(backup![1].text).toMatch(/^=SUM\(A1\)/);
});

test('下载 says the file is being prepared; a refusal is a message, not a broken file; an ended session leads to login', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  // Hold the answer until the button has been seen busy.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route(/\/api\/v1\/havips\/export\?/, async (route) => {
    await held;
    await route.continue();
  });
  const downloaded = page.waitForEvent('download');
  await page.getByRole('button', { name: '下载' }).click();
  await expect(page.getByRole('button', { name: '正在生成…' })).toBeDisabled();
  release();
  expect(await (await downloaded).failure()).toBeNull();
  await expect(page.getByRole('button', { name: '下载' })).toBeEnabled();
  await page.unrouteAll();
  // The database is down for a moment: the server's refusal is shown, and no file is saved.
  await page.route(/\/api\/v1\/havips\/export\?/, (route) =>
    route.fulfill({
      status: 503,
      contentType: 'application/json',
      body: JSON.stringify({ error: { code: 'ServiceUnavailable', message: 'database unavailable' } }),
    }),
  );
  await page.getByRole('button', { name: '下载' }).click();
  await expect(toasts(page).getByText('服务暂时不可用，请稍后重试')).toBeVisible();
  await page.unrouteAll();
  // The session ends (signed out elsewhere): the login page, which brings the user back here.
  await page.context().clearCookies();
  await page.getByRole('button', { name: '下载' }).click();
  await expect(page).toHaveURL(/\/login\?next=%2Fhavips/);
  await expect(page.getByLabel('用户名')).toBeVisible();
});
