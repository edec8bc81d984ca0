import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..');
export const havipBinary = join(root, 'target/debug/havip');

/**
 * Starts the built server with the demo data on a fresh database and a free port, and hands
 * its address to the tests through HAVIP_BASE_URL. Answers the teardown.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'havip-e2e-'));
  const server = spawn(
    havipBinary,
    ['serve', '--demo', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--site-root', join(root, 'target/site')],
    { env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const baseUrl = await new Promise<string>((resolveUrl, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`the server did not start: ${seen}`)), 60_000);
    server.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = seen.match(/HAVIP Console is at (http:\/\/\S+)\/havips/);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    });
    server.on('exit', (code) => reject(new Error(`the server exited with ${code}: ${seen}`)));
  });
  process.env.HAVIP_BASE_URL = baseUrl;
  process.env.HAVIP_DATA_DIR = dataDir;
  return async () => {
    server.kill('SIGTERM');
    await new Promise((done) => server.once('exit', done));
    rmSync(dataDir, { recursive: true, force: true });
  };
}

/** Runs the havip CLI against the test server's database (to create users or tenants). */
export function havipCli(args: string[], input?: string): string {
  return execFileSync(havipBinary, [...args, '--data-dir', process.env.HAVIP_DATA_DIR!], { input, encoding: 'utf8' });
}
