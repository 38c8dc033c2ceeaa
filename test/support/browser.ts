import { existsSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";

/** Debian's Chromium (`scripts/test-services.mjs` installs it), or the one KEYWARD_CHROMIUM names. */
export const CHROMIUM = process.env.KEYWARD_CHROMIUM ?? "/usr/bin/chromium";

/**
 * A headless Chromium for the console's tests. Its background networking is off: this machine's
 * closed network refuses those connections, and the tests need none.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: run node scripts/test-services.mjs`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** The two sizes every page is checked and pictured at. */
export const SIZES = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const;

/**
 * Every console error, failed request and uncaught page error while `page` is open: a console
 * page must produce none (a CSP violation is a console error).
 */
export function problemsOf(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) =>
    problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ""}`),
  );
  return problems;
}
