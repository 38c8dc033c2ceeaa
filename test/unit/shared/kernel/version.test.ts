import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PACKAGE_VERSION } from "../../../../shared/kernel/version.ts";

describe("PACKAGE_VERSION", () => {
  it("is the version package.json gives (the receipts of every bundle say it)", () => {
    const pkg = JSON.parse(
      readFileSync(new URL("../../../../package.json", import.meta.url), "utf8"),
    );
    expect(PACKAGE_VERSION).toBe(pkg.version);
  });
});
