import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { createHavip, freshTenant, hydrated, login, settled } from './helpers';

/** The rows of the first sheet of an .xlsx file (a zip), read with node's zlib. */
function sheetRowCount(file: string): number {
  const zip = readFileSync(file);
  // Walk the central directory to find xl/worksheets/sheet1.xml.
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const entries = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  for (let i = 0; i < entries; i++) {
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extra = zip.readUInt16LE(at + 30);
    const comment = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString();
    if (name === 'xl/worksheets/sheet1.xml') {
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + size);
      const xml = (method === 8 ? inflateRawSync(data) : data).toString();
      return (xml.match(/<row /g) ?? []).length;
    }
    at += 46 + nameLength + extra + comment;
  }
  throw new Error('no sheet1.xml in the download');
}

test('下载 downloads every HAVIP of the tenant as .xlsx', async ({ page }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  for (let i = 0; i < 25; i++) {
    const havip = await createHavip(page, { name: `export-${i}`, vpc_id: tenant.vpc, subnet_id: tenant.subnet });
    if (i === 24) await settled(page, havip.id);
  }
  await page.reload();
  await hydrated(page);
  const total = Number((await page.getByText(/共 \d+ 条/).textContent())!.match(/\d+/)![0]);
  expect(total).toBe(25);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: '下载' }).click()]);
  expect(download.suggestedFilename()).toMatch(/^havips-\d{8}-\d{6}\.xlsx$/);
  const file = await download.path();
  expect(sheetRowCount(file) - 1, 'all pages, not just the 20 shown').toBe(total);
});
