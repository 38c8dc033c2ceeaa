import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Setting } from "../../shared/config/setting.ts";
import { SETTING_MEANINGS } from "../../shared/config/setting-meanings.ts";
import { SETTING_GROUPS, type SettingName } from "../../shared/config/settings.ts";

/** docs/settings.md: the tables between these markers are written from `SETTINGS`, nothing else. */
export const SETTINGS_PAGE = fileURLToPath(new URL("../../docs/settings.md", import.meta.url));
const START = "<!-- settings table: written by `npm run docs`, from shared/config/settings.ts -->";
const END = "<!-- end of settings table -->";

const TITLES: Readonly<Record<keyof typeof SETTING_GROUPS, string>> = {
  verification: "Verification (the authorizer, the edge, the issuing endpoint, the writers)",
  policy: "Rotation policy (the rotation function and the ops API)",
  refresh: "Refresh-token families (the issuing endpoint)",
  wiring: "Where things are (set by the construct; by hand outside CDK)",
};

const code = (text: string | undefined) => (text ? `\`${text}\`` : "");

function row([name, setting]: [string, Setting]): string {
  const cells =
    setting.kind === "number"
      ? [setting.unit, String(setting.default), `${setting.min} to ${setting.max}`]
      : setting.kind === "choice"
        ? ["", code(setting.default), setting.choices.map(code).join(", ")]
        : setting.kind === "text"
          ? ["", code(setting.default), ""]
          : ["", "", ""];
  const context = setting.context ? `\`keyward:${setting.context}\`` : "";
  const meaning = SETTING_MEANINGS[name as SettingName];
  return `| ${[code(setting.env), code(setting.prop), context, ...cells, meaning].join(" | ")} |`;
}

/** The generated part of docs/settings.md. */
export function settingsTables(): string {
  const tables = Object.entries(SETTING_GROUPS).map(([group, settings]) =>
    [
      `### ${TITLES[group as keyof typeof SETTING_GROUPS]}`,
      "",
      "| variable | construct prop | context key | unit | default | allowed | meaning |",
      "|---|---|---|---|---|---|---|",
      ...Object.entries(settings as Readonly<Record<string, Setting>>).map(row),
    ].join("\n"),
  );
  return [START, "", ...tables.flatMap((table) => [table, ""]), END].join("\n");
}

/** The page with its generated part replaced by `tables`. */
export function withTables(page: string, tables: string): string {
  const start = page.indexOf(START);
  const end = page.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${SETTINGS_PAGE} has lost its table markers`);
  return page.slice(0, start) + tables + page.slice(end + END.length);
}

export async function writeSettingsPage(): Promise<void> {
  const page = await readFile(SETTINGS_PAGE, "utf8");
  await writeFile(SETTINGS_PAGE, withTables(page, settingsTables()));
}
