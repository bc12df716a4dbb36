// Browser tests of the web console: a real `ramkey serve` (built dist/, console bundle included) in a fresh
// data directory, Debian's chromium driven by playwright-core, and helpers to sign in, set up data through
// the official SDK, and screenshot pages at desktop and phone widths.
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import {
  parseInitOutput,
  runCli,
  startServer,
  type InitOutput,
  type RunningServer,
} from '../support/ramkey-server.js';
import { clients, RamModule, type Key } from '../support/sdk.js';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * A browser suite: it needs Debian's chromium (`.ci/run` installs it). Without one it is skipped
 * locally and fails under CI=true, as the nginx suites do.
 */
export function describeWithChromium(name: string, options: { timeout: number }, body: () => void): void {
  if (existsSync(CHROMIUM)) {
    describe(name, options, body);
    return;
  }
  if (process.env.CI)
    throw new Error(`${CHROMIUM} is required under CI (.ci/run installs Debian's chromium)`);
  describe.skip(`${name} (skipped: no ${CHROMIUM}; apt-get install chromium)`, body);
}
export const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'console');

/** The widths every page is screenshotted at: a laptop's, and a phone's. */
export const WIDTHS = [1280, 390] as const;

export interface ConsoleBrowser {
  readonly context: BrowserContext;
  readonly page: Page;
  /**
   * What the page logged as errors (a CSP violation is one) and its uncaught exceptions; not the
   * browser's note of each HTTP error status, which the page shows as the API's answer.
   */
  readonly problems: string[];
  close(): Promise<void>;
}

/** One headless chromium with a fresh profile: one per test file. */
export async function launchBrowser(): Promise<ConsoleBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'ramkey-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource:')) {
      problems.push(message.text());
    }
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return {
    context,
    page,
    problems,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export interface ConsoleServer {
  readonly server: RunningServer;
  readonly admin: InitOutput;
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  /** The installation's first account's administrator key (a RAM user with AdministratorAccess). */
  readonly adminKey: Key;
  readonly ram: ReturnType<typeof clients>['ram'];
  readonly ims: ReturnType<typeof clients>['ims'];
  url(route?: string): string;
  /** Another account of the same installation, with its own console login and administrator key. */
  createAccount(): Promise<InitOutput>;
  stop(): Promise<void>;
}

export async function startConsoleServer(): Promise<ConsoleServer> {
  const server = await startServer();
  const adminKey = { id: server.admin.accessKeyId, secret: server.admin.accessKeySecret };
  const { ram, ims } = clients(server.endpoint, adminKey, 'v3');
  const origin = `http://${server.endpoint}`;
  return {
    server,
    admin: server.admin,
    origin,
    adminKey,
    ram,
    ims,
    url: (route = '/') => `${origin}/console${route}`,
    async createAccount() {
      const created = await runCli(['accounts', 'create', '--json', '--data', server.dataDir], server.env);
      if (created.code !== 0) throw new Error(`ramkey accounts create failed: ${created.stderr}`);
      return parseInitOutput(created.stdout);
    },
    async stop() {
      await server.stop();
    },
  };
}

/** A RAM user of the first account with a console password and, when given, a system policy attached. */
export async function createConsoleUser(
  server: ConsoleServer,
  userName: string,
  options: { password?: string; policy?: string } = {},
): Promise<{ loginName: string; password: string }> {
  const password = options.password ?? 'Console-Pass-7!';
  await server.ram.createUser(new RamModule.CreateUserRequest({ userName }));
  await server.ram.createLoginProfile(
    new RamModule.CreateLoginProfileRequest({ userName, password, passwordResetRequired: false }),
  );
  if (options.policy !== undefined) {
    await server.ram.attachPolicyToUser(
      new RamModule.AttachPolicyToUserRequest({ userName, policyName: options.policy, policyType: 'System' }),
    );
  }
  return { loginName: `${userName}@${server.admin.accountId}.onaliyun.com`, password };
}

/** Signs out whoever is signed in (by dropping the cookie) and signs in through the form. */
export async function signIn(
  browser: ConsoleBrowser,
  server: ConsoleServer,
  loginName: string,
  password: string,
  route = '/',
): Promise<void> {
  await browser.context.clearCookies();
  const { page } = browser;
  await page.goto(server.url(route));
  await page.getByLabel('Login name').fill(loginName);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/**
 * The page at each width of WIDTHS, full length, into test-artifacts/console/<name>-<width>.png; throws
 * when the page is wider than the window (sideways scrolling of the whole page: not readable on a phone).
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const original = page.viewportSize() ?? { width: 1280, height: 800 };
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: width === 390 ? 844 : 800 });
    // Nothing keeps loading behind the picture.
    await page.locator('.loading').first().waitFor({ state: 'detached' });
    const scrollWidth = await page.evaluate<number>('document.documentElement.scrollWidth');
    if (scrollWidth > width) throw new Error(`${name} is ${scrollWidth} px wide in a ${width} px window`);
    await page.screenshot({ path: join(ARTIFACTS, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize(original);
}

/** The TOTP time step (RFC 6238: 30 seconds from the epoch) of `ms`. */
export function totpStep(ms: number): number {
  return Math.floor(ms / 30_000);
}

/**
 * The 6-digit TOTP code (HMAC-SHA1, RFC 6238) of a Base32 seed for a time step: what an authenticator
 * app shows. Written here from the RFC rather than imported, so the tests check the server's codes.
 */
export function totpCode(seedBase32: string, step: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of seedBase32.replace(/=+$/, '').toUpperCase()) {
    bits += alphabet.indexOf(char).toString(2).padStart(5, '0');
  }
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}
