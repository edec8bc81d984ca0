// Issue 16, item 10: the list holds up with long text and narrow windows: its columns keep
// their widths from one view to the next, the selection, name and 操作 columns stay in sight
// while the middle scrolls sideways, and the search box shows its whole placeholder.

import { expect, test, type Page } from '@playwright/test';
import { base, createSettled, freshTenant, hydrated, login, row, unique } from './helpers';

/** The header cells' widths, in order. */
const columnWidths = (page: Page) =>
  page.locator('.havip-table thead th').evaluateAll((cells) => cells.map((c) => Math.round(c.getBoundingClientRect().width)));

test('the columns keep their widths from one view to the next', async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const tag = unique('wide');
  const long = `${tag} ${'long-words '.repeat(10)}`.slice(0, 120);
  await createSettled(page, [
    { name: long, remark: 'a remark that goes on and on '.repeat(4), vpc_id: tenant.vpc, subnet_id: tenant.subnet, vm_ids: tenant.vms.slice(0, 3).map((vm) => vm.id) },
    { name: `${tag}-x`, vpc_id: tenant.vpc, subnet_id: tenant.subnet },
  ]);
  await page.goto(`${base()}/havips`);
  await hydrated(page);
  await expect(row(page, long)).toBeVisible();
  const everything = await columnWidths(page);
  const search = page.getByRole('searchbox', { name: '搜索' });
  await search.fill(`${tag}-x`);
  await expect(row(page, long)).toHaveCount(0);
  expect(await columnWidths(page), 'one short row').toEqual(everything);
  await search.fill(unique('nothing'));
  await expect(page.getByText('没有符合条件的高可用VIP。')).toBeVisible();
  expect(await columnWidths(page), 'no rows').toEqual(everything);
});

test('at 1024 px the selection, name and 操作 columns stay in sight while the middle scrolls', async ({ page }) => {
  await page.setViewportSize({ width: 1024, height: 768 });
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const name = unique('pinned');
  await createSettled(page, [{ name, vpc_id: tenant.vpc, subnet_id: tenant.subnet }]);
  await page.goto(`${base()}/havips`);
  await hydrated(page);
  const wrap = page.locator('.table-wrap');
  const line = row(page, name);
  const cells = line.getByRole('cell');
  const select = cells.first();
  const named = cells.nth(1);
  const id = cells.nth(2);
  const actions = cells.last();
  const before = { select: (await select.boundingBox())!, named: (await named.boundingBox())!, id: (await id.boundingBox())! };
  const scrolled = await wrap.evaluate((w) => {
    w.scrollLeft = w.scrollWidth;
    return w.scrollLeft;
  });
  expect(scrolled, 'the table is wider than the window and scrolls sideways').toBeGreaterThan(50);
  const box = (await wrap.boundingBox())!;
  await expect.poll(async () => (await id.boundingBox())!.x, 'the middle moved').toBeLessThan(before.id.x - 50);
  expect((await select.boundingBox())!.x).toBeCloseTo(before.select.x, 0);
  expect((await named.boundingBox())!.x).toBeCloseTo(before.named.x, 0);
  // 操作 stays at the right edge, whole, and still works.
  const right = (await actions.boundingBox())!;
  expect(right.x + right.width).toBeLessThanOrEqual(box.x + box.width + 1);
  expect(right.x).toBeGreaterThan(before.named.x + before.named.width);
  await actions.getByRole('button', { name: `编辑 ${name}` }).click();
  await expect(page.getByRole('dialog')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toBeHidden();
  // What scrolls under the pinned columns passes beneath them, hidden: at the name cell's
  // middle the page has the name cell on top, and the cell is opaque.
  const covering = await named.evaluate((cell) => {
    const box = cell.getBoundingClientRect();
    const onTop = cell.contains(document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2));
    const alpha = getComputedStyle(cell).backgroundColor.match(/rgba\(.*,\s*([\d.]+)\)/)?.[1] ?? '1';
    return { onTop, alpha: Number(alpha) };
  });
  expect(covering).toEqual({ onTop: true, alpha: 1 });
});

/** How many pixels of the placeholder would not show. The room for text is what the browser
 * leaves beside the box's clear button, found from a Latin text too long for it; the
 * placeholder needs its Latin as measured plus a full em per CJK character (CJK fonts' width),
 * which holds even where this machine lacks such a font. */
async function placeholderOverflow(page: Page) {
  return page.getByRole('searchbox').evaluate((input: HTMLInputElement) => {
    const style = getComputedStyle(input);
    const context = document.createElement('canvas').getContext('2d')!;
    context.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const tooLong = 'M'.repeat(80);
    input.value = tooLong;
    const room = context.measureText(tooLong).width - (input.scrollWidth - input.clientWidth);
    input.value = '';
    const text = input.placeholder;
    const isCjk = (c: string) => /[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]/.test(c);
    const latin = [...text].filter((c) => !isCjk(c)).join('');
    const needed = context.measureText(latin).width + (text.length - latin.length) * parseFloat(style.fontSize);
    return { overflow: Math.ceil(needed - room), text };
  });
}

test('the search box shows its whole placeholder, in Chinese and in English', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const zh = await placeholderOverflow(page);
  expect(zh.overflow, zh.text).toBeLessThanOrEqual(0);
  await page.getByRole('button', { name: 'English' }).click();
  await expect(page.locator('html')).toHaveAttribute('lang', /^en/);
  const en = await placeholderOverflow(page);
  expect(en.overflow, en.text).toBeLessThanOrEqual(0);
});

test('the page scrolls, not a box, and the header row stays under the top bar, pinned columns too', async ({ page }) => {
  await page.setViewportSize({ width: 1024, height: 700 });
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const tag = unique('tall');
  await createSettled(page, Array.from({ length: 20 }, (_, i) => ({ name: `${tag}-${i}`, vpc_id: tenant.vpc, subnet_id: tenant.subnet })));
  await page.goto(`${base()}/havips?page_size=50`);
  await hydrated(page);
  const wrap = page.locator('.table-wrap');
  // The table is as tall as its rows: nothing scrolls inside it up and down.
  expect(await wrap.evaluate((w) => w.scrollHeight - w.clientHeight)).toBeLessThanOrEqual(1);
  await page.mouse.wheel(0, 600);
  await expect.poll(() => page.evaluate(() => window.scrollY)).toBeGreaterThan(400);
  const topbar = (await page.locator('.topbar').boundingBox())!;
  const header = page.getByRole('columnheader', { name: /名称\/备注/ });
  await expect.poll(async () => Math.round((await header.boundingBox())!.y)).toBe(Math.round(topbar.y + topbar.height));
  const actionsHeader = page.getByRole('columnheader', { name: '操作' });
  expect(Math.round((await actionsHeader.boundingBox())!.y)).toBe(Math.round(topbar.y + topbar.height));
  // Sideways, the pinned header cells stay too, and the header still sorts.
  await wrap.evaluate((w) => (w.scrollLeft = w.scrollWidth));
  const wrapBox = (await wrap.boundingBox())!;
  const actionsBox = (await actionsHeader.boundingBox())!;
  expect(actionsBox.x + actionsBox.width).toBeLessThanOrEqual(wrapBox.x + wrapBox.width + 1);
  await header.click();
  await expect(page).toHaveURL(/sort=name/);
  // Back at the top, the header is in its place above the first row.
  await page.evaluate(() => window.scrollTo(0, 0));
  await expect.poll(async () => Math.round((await header.boundingBox())!.y)).toBe(Math.round((await wrap.boundingBox())!.y + 1));
});
