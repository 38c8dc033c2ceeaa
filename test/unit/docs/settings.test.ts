import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SETTINGS_PAGE, settingsTables, withTables } from "../../../scripts/docs/settings.ts";
import { SETTINGS } from "../../../shared/config/settings.ts";

const root = new URL("../../../", import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return sources(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

describe("docs/settings.md", () => {
  const page = readFileSync(SETTINGS_PAGE, "utf8");

  it("holds the tables of shared/config/settings.ts as they are (npm run docs writes them)", () => {
    expect(withTables(page, settingsTables())).toBe(page);
  });

  it("has a row for every variable a function or the construct reads", () => {
    const read = new Set(
      ["shared", "functions", "infra", "cli"]
        .flatMap(sources)
        .flatMap((file) => [
          ...readFileSync(join(root, file), "utf8").matchAll(
            /"((?:KEYWARD|UPSTASH)_[A-Z_]+[A-Z])"/g,
          ),
        ])
        .map((match) => match[1]),
    );
    const documented = new Set(Object.values(SETTINGS).map((setting) => setting.env));
    expect([...read].filter((name) => !documented.has(name!))).toEqual([]);
    for (const name of documented) expect(page).toContain(`| \`${name}\` |`);
  });
});
