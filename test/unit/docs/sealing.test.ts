import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { OPEN_REFUSALS } from "../../../shared/sealing/sealer.ts";

describe("docs/sealing.md", () => {
  const doc = readFileSync(new URL("../../../docs/sealing.md", import.meta.url), "utf8");
  const table = doc.slice(doc.indexOf("| result | when |"));
  const documented = [
    ...table.slice(0, table.indexOf("\n\n")).matchAll(/^\| `([a-z_]+)`(?:, `([a-z_]+)`)? \|/gm),
  ].flatMap((m) => [m[1], m[2]].filter((reason) => reason !== undefined));

  it("documents every reason an envelope does not open, and no other", () => {
    expect(documented.sort()).toEqual(Object.keys(OPEN_REFUSALS).sort());
  });
});
