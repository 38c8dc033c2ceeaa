import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { describe, expect, it } from "vitest";
import { COMPATIBILITY_DATE } from "../support/workerd.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

describe("wrangler.jsonc, as `wrangler deploy` reads it", () => {
  it("bundles under 100 kB with wrangler's own build (dry run), and that bundle answers inside workerd", async () => {
    const out = mkdtempSync(join(tmpdir(), "keyward-wrangler-"));
    try {
      const printed = execFileSync(
        process.execPath,
        [
          join(ROOT, "node_modules/wrangler/bin/wrangler.js"),
          "deploy",
          "--dry-run",
          "--outdir",
          out,
        ],
        { cwd: ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" } },
      ).toString();
      expect(printed).toContain("--dry-run: exiting now");
      const script = readFileSync(join(out, "worker.js"), "utf8");
      expect(Buffer.byteLength(script)).toBeLessThan(100 * 1024);
      const config = readFileSync(join(ROOT, "wrangler.jsonc"), "utf8");
      expect(config).toContain(`"compatibility_date": "${COMPATIBILITY_DATE}"`);
      // Without its secrets the Worker refuses every request: a JSON 500, nothing reaches the origin.
      const mf = new Miniflare({
        modules: true,
        script,
        compatibilityDate: COMPATIBILITY_DATE,
        bindings: {
          KEYWARD_ORIGIN: "https://origin.example.com",
          KEYWARD_SECRET_PREFIX: "keyward/prod",
        },
      });
      try {
        const response = await mf.dispatchFetch("http://edge.test/");
        expect(response.status).toBe(500);
        expect(await response.json()).toMatchObject({ error: { code: "config_invalid" } });
      } finally {
        await mf.dispose();
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
