// Measures how long the console takes to become interactive (hydrated): from the start of
// navigation to the moment the app marks <body data-hydrated>. Used by `make bench`, which
// prints the figures against quality.md's budgets.
//   - loopback: a first visit with nothing in the way;
//   - link: a first visit over an emulated link of 10 Mbit/s each way with 40 ms round trips
//     (the DevTools protocol's network emulation), nothing cached;
//   - repeat: the next visit in the same browser over that link, its content-hashed assets
//     cached as the server tells it to;
//   - the WebAssembly's bytes as transferred on the first visit (compressed).
// Usage: node hydration-time.mjs BASE_URL SESSION_COOKIE_VALUE RUNS
import { chromium } from '@playwright/test';

const [base, session, runs = '5'] = process.argv.slice(2);
const LINK = { offline: false, latency: 40, downloadThroughput: 10e6 / 8, uploadThroughput: 10e6 / 8 };
const PAGE = `${base}/havips?page_size=50`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

/** A browser of its own (nothing cached), signed in, over the link if asked. */
async function freshVisitor(overLink) {
  const context = await browser.newContext();
  await context.addCookies([{ name: 'havip_session', value: session, url: base }]);
  // The moment of hydration, taken by the page itself rather than by polling from outside.
  await context.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (document.body?.hasAttribute('data-hydrated')) {
        window.__hydratedAt = performance.now();
        observer.disconnect();
      }
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-hydrated'] });
  });
  const page = await context.newPage();
  if (overLink) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', LINK);
  }
  return { context, page };
}

/** Milliseconds from the start of navigation to hydration, and the WebAssembly's bytes sent
 * with their encoding. */
async function visit(page) {
  let wasmBytes = 0;
  let wasmEncoding = 'none';
  const sizes = [];
  const onResponse = (response) => {
    if (new URL(response.url()).pathname.endsWith('.wasm')) {
      wasmEncoding = response.headers()['content-encoding'] ?? 'none';
      sizes.push(response.request().sizes().then((s) => (wasmBytes += s.responseBodySize)));
    }
  };
  page.on('response', onResponse);
  await page.goto(PAGE);
  await page.waitForFunction(() => window.__hydratedAt !== undefined, null, { timeout: 60_000 });
  const ms = await page.evaluate(() => window.__hydratedAt);
  page.off('response', onResponse);
  await Promise.all(sizes);
  return { ms, wasmBytes, wasmEncoding };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const loopback = [];
const first = [];
const repeat = [];
let wasmBytes = 0;
let wasmEncoding = 'none';
for (let i = 0; i < Number(runs); i++) {
  {
    const { context, page } = await freshVisitor(false);
    loopback.push((await visit(page)).ms);
    await context.close();
  }
  const { context, page } = await freshVisitor(true);
  const firstVisit = await visit(page);
  first.push(firstVisit.ms);
  ({ wasmBytes, wasmEncoding } = firstVisit);
  if (wasmBytes === 0) throw new Error('the first visit loaded no WebAssembly');
  repeat.push((await visit(page)).ms);
  await context.close();
}
await browser.close();
console.log(
  JSON.stringify({
    median_ms: median(loopback),
    link_first_ms: median(first),
    link_repeat_ms: median(repeat),
    wasm_transferred_bytes: wasmBytes,
    wasm_encoding: wasmEncoding,
    all: { loopback, first, repeat },
  }),
);
