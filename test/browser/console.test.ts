import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { serve } from "@hono/node-server";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpsClient } from "../../cli/client.ts";
import { createConsoleApp } from "../../console/app.ts";
import { formTokenOf } from "../../console/guard.ts";
import { type LocalStack, startLocalStack } from "../../functions/local/stack.ts";
import { sha256 } from "../../shared/access/credentials.ts";
import { launchChromium, problemsOf, SIZES } from "../support/browser.ts";
import { issue, ROOT, startCli } from "../support/cli.ts";
import { movableClock } from "../support/clocks.ts";

const VIEWER = "viewer-credential-0123456789abcdef";
const PLANTED = "<script>alert('planted')</script> \u001b[31mred\u001b[0m";
const PICTURES = join(ROOT, "docs/console");

let dir = "";
const clock = movableClock();
let stack: LocalStack;
let browser: Browser;
/** A console of the viewer's, as `keyward console` serves it, over the stack's ops API. */
const viewer = { url: "", secret: "", stop: (): void => undefined };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "keyward-console-"));
  stack = await startLocalStack({
    port: 0,
    dir,
    tickMs: 3_600_000,
    clock,
    // A new key may sign 1 s after it is published: the test's clock moves past that.
    policy: { keyringCacheTtlMs: 1000, prePublicationMarginMs: 0 },
    operators: [{ name: "viewer-op", role: "viewer", tokenSha256: sha256(VIEWER) }],
  });
  await sixHoursOfTraffic();
  viewer.secret = "viewer-launch-secret-0123456789abcdefghij";
  const app = createConsoleApp({
    api: new OpsClient(stack.url, VIEWER),
    secret: viewer.secret,
    clock,
  });
  const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise((resolve) => server.once("listening", resolve));
  viewer.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  viewer.stop = () => void server.close();
  browser = await launchChromium();
  mkdirSync(PICTURES, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  viewer.stop();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Six hours of traffic for the charts, a graceful rotation in the third: bob's day-long token of
 * the first key is presented every hour, alice logs in again each hour (from the third, with the
 * new key), so the first key's share falls to a half.
 */
async function sixHoursOfTraffic() {
  const login = async (sub: string, azp: string, lifetimeSeconds: number) => {
    const answer = await issue(
      stack.url,
      dir,
      JSON.stringify({ sub, claims: { azp }, lifetimeSeconds }),
    );
    return ((await answer.json()) as { token: string }).token;
  };
  const present = (token: string) =>
    fetch(`${stack.url}/whoami`, { headers: { authorization: `Bearer ${token}` } });
  const bob = await login("bob", "mobile", 86_400);
  for (let hour = 0; hour < 6; hour++) {
    if (hour === 2) {
      await new OpsClient(stack.url, readFileSync(join(dir, "ops-token"), "utf8").trim()).call(
        "POST",
        "/v1/keys/rotate",
        { mode: "graceful", reason: "quarterly rotation" },
      );
      clock.advance(1_100);
      await stack.tick();
    }
    const alice = await login("alice", "storefront", 3_600);
    for (let i = 0; i < 3; i++) await Promise.all([present(alice), present(bob)]);
    clock.advance(3_600_000);
    await stack.tick();
  }
}

/** A page of the operator's own console (the local stack's), opened from its printed address. */
async function operatorPage(size: keyof typeof SIZES = "desktop") {
  const context = await browser.newContext({ viewport: SIZES[size] });
  const page = await context.newPage();
  const problems = problemsOf(page);
  await page.goto(stack.consoleUrl);
  return { page, problems, close: () => context.close() };
}

/** The text of the first element `locator` finds, once it is visible (Playwright waits for it). */
async function shown(locator: Locator): Promise<string> {
  await locator.first().waitFor();
  return locator.first().innerText();
}

async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

const PAGES = [
  ["overview", "/console"],
  ["signing", "/console/keyrings/signing"],
  ["sessions", "/console/keyrings/sessions"],
  ["revocations", "/console/revocations"],
  ["journal", "/console/journal"],
  ["emergency", "/console/keyrings/signing/emergency"],
] as const;

describe("the operator console in headless Chromium", () => {
  it("opens from its printed address, drops the secret from the address bar, and refuses a browser without it", async () => {
    const { page, problems, close } = await operatorPage();
    expect(new URL(page.url()).search).toBe("");
    expect(await shown(page.getByRole("heading", { level: 1 }))).toMatch("Overview");
    const stranger = await browser.newContext();
    const other = await stranger.newPage();
    const answer = await other.goto(`${stack.url}/console`);
    expect(answer?.status()).toBe(403);
    await stranger.close();
    expect(problems).toEqual([]);
    await close();
  });

  it("draws each keyring's timeline and share chart, with the 5 % line and the consumers' keys", async () => {
    const { page, close } = await operatorPage();
    await page.goto(`${stack.url}/console/keyrings/signing`);
    expect(await page.locator("svg title").first().textContent()).toMatch(
      /signing keyring: each key's phases/,
    );
    await page.getByText("5 %: a previous key retires below this share").waitFor();
    const bars = page.locator('svg[aria-labelledby="sh-title sh-desc"] rect');
    expect(await bars.count()).toBeGreaterThan(0);
    await close();
  });

  it("lets an operator revoke a subject, then run an emergency after reading its effect; the timeline, the keys and the journal show it", async () => {
    const { page, problems, close } = await operatorPage();
    await page.goto(`${stack.url}/console/revocations`);
    await page.getByLabel("What").selectOption("subject");
    await page.getByLabel("Subject, name=value, family id or token").fill("mallory");
    await page.getByLabel("Reason").fill(PLANTED);
    await page.getByRole("button", { name: "Revoke" }).click();
    expect(await shown(page.getByRole("status"))).toMatch(/Revoked/);
    await page.getByRole("cell", { name: "sub:mallory" }).waitFor();
    // The planted reason is text: no script ran or exists, the escape is shown, not obeyed.
    await page.getByText("<script>alert('planted')</script>").first().waitFor();
    await page.getByText("\\x1b[31mred").first().waitFor();
    expect(await page.locator("script").count()).toBe(0);

    await page.goto(`${stack.url}/console/keyrings/signing`);
    const oldKid = (await page.locator("td.kid").first().textContent()) ?? "";
    await page.getByRole("link", { name: /Emergency rotation of signing/ }).click();
    await page.getByText("Everyone logs in again.").waitFor();
    await page.getByText(/came from 1 consumer;/).waitFor();
    await page.getByText("storefront (local)", { exact: false }).waitFor();
    await page.getByLabel(/to confirm/).fill("signing");
    await page.getByLabel("Reason").fill("key seen in a public repository");
    await page.getByRole("button", { name: /emergency/ }).click();
    expect(await shown(page.getByRole("status"))).toMatch(/Emergency rotation done/);
    await page.locator("svg text", { hasText: "emergency" }).first().waitFor();
    expect(await shown(page.getByRole("row", { name: new RegExp(oldKid) }).first())).toContain(
      "compromised",
    );
    await page.goto(`${stack.url}/console/journal`);
    await page.getByRole("cell", { name: "key seen in a public repository" }).first().waitFor();
    expect(problems).toEqual([]);
    await close();
  });

  it("loads every page with no console error and no serious accessibility violation, pictured at both sizes", async () => {
    for (const size of ["desktop", "phone"] as const) {
      const { page, problems, close } = await operatorPage(size);
      for (const [name, path] of PAGES) {
        const answer = await page.goto(`${stack.url}${path}`);
        expect(answer?.status(), path).toBe(200);
        expect(await page.locator("script").count(), path).toBe(0);
        if (size === "desktop") expect(await seriousViolations(page), path).toEqual([]);
        await page.screenshot({ path: join(PICTURES, `${name}-${size}.png`), fullPage: true });
      }
      expect(problems).toEqual([]);
      await close();
    }
  });

  it("writes plan, journal and simulation reports as self-contained pages that open offline with their charts", async () => {
    const env = { KEYWARD_URL: stack.url, KEYWARD_LOCAL_DIR: dir, KEYWARD_OPS_TOKEN: "" };
    const reports = {
      plan: ["plan", "--html", join(dir, "plan.html")],
      journal: ["journal", "--since", "2026-01-01", "--html", join(dir, "journal.html")],
      simulation: [
        "simulate",
        "--days",
        "120",
        "--users",
        "4",
        "--html",
        join(dir, "simulation.html"),
      ],
    };
    for (const [name, args] of Object.entries(reports)) {
      const run = await startCli(args, env).done;
      expect(run.code, `${name}: ${run.stderr}`).toBe(0);
    }
    const context = await browser.newContext({ offline: true, viewport: SIZES.desktop });
    const page = await context.newPage();
    const problems = problemsOf(page);
    const fetched: string[] = [];
    page.on("request", (request) => fetched.push(request.url()));
    for (const name of Object.keys(reports)) {
      const file = `file://${join(dir, `${name}.html`)}`;
      await page.goto(file);
      expect(await page.locator("svg").count(), name).toBeGreaterThan(0);
      expect(await page.locator("script").count(), name).toBe(0);
      await page.screenshot({ path: join(PICTURES, `report-${name}.png`), fullPage: true });
    }
    expect(fetched.every((url) => url.startsWith("file://"))).toBe(true);
    expect(problems).toEqual([]);
    await context.close();
  });

  it("shows a viewer no action, and refuses a forged action: another site's request, a request without the form's token, and a viewer's own", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${viewer.url}/console?k=${viewer.secret}`);
    await page.getByText("viewer-op (viewer)").waitFor();
    for (const path of ["/console/keyrings/signing", "/console/revocations"]) {
      await page.goto(`${viewer.url}${path}`);
      expect(await page.locator('form[method="post"]').count(), path).toBe(0);
    }
    const cookie = `kw_console=${viewer.secret}`;
    const post = (headers: Record<string, string>, fields: Record<string, string>) =>
      fetch(`${viewer.url}/console/actions/revoke`, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
        body: new URLSearchParams(fields),
      });
    const fields = { kind: "subject", value: "carol", reason: "forged" };
    const token = formTokenOf(viewer.secret);
    expect((await post({}, { ...fields, form_token: token })).status).toBe(403);
    expect((await post({ cookie }, fields)).status).toBe(403);
    expect(
      (await post({ cookie, origin: stack.url }, { ...fields, form_token: token })).status,
    ).toBe(403);
    const own = await post(
      { cookie, "sec-fetch-site": "same-origin" },
      { ...fields, form_token: token },
    );
    expect(own.status).toBe(403);
    expect(await own.text()).toContain("viewer-op is a viewer; this needs responder");
    // Nothing was written: the journal has no revocation of carol.
    const audit = await new OpsClient(stack.url, VIEWER).call("GET", "/v1/audit?limit=500");
    const targets = (audit.body as { entries: { target?: string }[] }).entries.map((e) => e.target);
    expect(targets).not.toContain("sub:carol");
    await context.close();
  });
});
