import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createIssuer } from "../../../../shared/issuing/issuer.ts";
import { ConfigInvalid } from "../../../../shared/kernel/errors.ts";
import { FileKeyringStore, localKeyringPath } from "../../../../shared/keyring-store/file.ts";
import { UpstashRefreshStore } from "../../../../shared/refresh/upstash.ts";
import { newKeyring } from "../../../support/keyrings.ts";

function problemsOf(make: () => unknown): readonly string[] {
  try {
    make();
  } catch (error) {
    if (error instanceof ConfigInvalid) return error.problems;
    throw error;
  }
  return [];
}

describe("createIssuer's options", () => {
  it("lists every problem at construction, naming the option, never crashing on a missing one", () => {
    expect(problemsOf(() => createIssuer(undefined as never))).toEqual([
      "createIssuer(options): options with a keyring are required",
    ]);
    expect(
      problemsOf(() =>
        createIssuer({
          keyring: { secretPrefix: "keyward/prod", env: {} },
          cacheTtlSeconds: -1,
          lifetimeSeconds: 0,
        }),
      ),
    ).toEqual([
      "keyring.secretPrefix needs AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (Lambda sets them)",
      "cacheTtlSeconds must be a whole number >= 0",
      expect.stringContaining("lifetimeSeconds"),
    ]);
    expect(problemsOf(() => createIssuer({ keyring: {} as never }))).toEqual([
      "keyring must be one of { secretPrefix }, { localDir } (the local stack's folder) or { load }",
    ]);
  });

  it("signs with the local stack's keyring from its folder", async () => {
    const dir = mkdtempSync(join(tmpdir(), "keyward-local-"));
    try {
      await new FileKeyringStore(localKeyringPath(dir, "signing")).save(await newKeyring("HS256"));
      const issued = await createIssuer({ keyring: { localDir: dir } }).issue({ sub: "alice" });
      expect(issued.token.split(".")).toHaveLength(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses Upstash settings left unset, as a configuration error", () => {
    expect(
      problemsOf(() => new UpstashRefreshStore({ url: undefined, token: undefined } as never)),
    ).toEqual([
      "UpstashRefreshStore options.url must be Upstash's REST URL (UPSTASH_REDIS_REST_URL), https://…",
      "UpstashRefreshStore options.token must be Upstash's REST token (UPSTASH_REDIS_REST_TOKEN)",
    ]);
  });
});
