// Measures how long the console takes to become interactive (hydrated) on loopback: from the
// start of navigation to the moment the app marks <body data-hydrated>. Used by `make bench`.
// Usage: node hydration-time.mjs BASE_URL SESSION_COOKIE_VALUE RUNS
import { chromium } from '@playwright/test';

const [base, session, runs = '5'] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const times = [];
for (let i = 0; i < Number(runs); i++) {
  // A fresh context each time: nothing cached, as on a first visit.
  const context = await browser.newContext();
  await context.addCookies([{ name: 'havip_session', value: session, url: base }]);
  const page = await context.newPage();
  await page.goto(`${base}/havips?page_size=50`);
  await page.waitForSelector('body[data-hydrated]');
  times.push(await page.evaluate(() => performance.now()));
  await context.close();
}
await browser.close();
times.sort((a, b) => a - b);
console.log(JSON.stringify({ median_ms: times[Math.floor(times.length / 2)], all_ms: times }));
