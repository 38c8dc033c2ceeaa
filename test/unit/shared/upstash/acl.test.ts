import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { aclRules, aclSetUser } from "../../../../shared/upstash/acl.ts";

describe("the Upstash ACL users", () => {
  it("are the ones docs/deploying.md tells an operator to create, word for word", () => {
    const page = readFileSync(new URL("../../../../docs/deploying.md", import.meta.url), "utf8");
    const documented = page.split("\n").filter((line) => line.startsWith("ACL SETUSER"));
    expect(documented).toEqual(
      (["issuer", "reader"] as const).map((role) =>
        aclSetUser(role, "kw:", `keyward-${role}`, "<password>").join(" "),
      ),
    );
  });

  it("give a reader write access to nothing but the usage counts and its receipts", () => {
    const rules = aclRules("reader", "kw:");
    expect(rules.filter((rule) => rule.includes("W~"))).toEqual([
      "%RW~kw:usage:*",
      "%RW~kw:receipt:*",
    ]);
    expect(rules).toContain("-@all");
    expect(rules.some((rule) => /^\+(del|eval|xadd|@write|@all)$/.test(rule))).toBe(false);
  });

  it("refuse a prefix a pattern would misread", () => {
    expect(() => aclRules("reader", "kw*")).toThrow("must be 1 to 64 characters");
  });
});
