import type { EnvReader } from "./env.ts";

/**
 * One setting of keyward's functions: the environment variable they read, the construct prop and
 * the CDK context key (without `keyward:`) that set it, its unit, default and bounds. The table of
 * them all is `SETTINGS` (settings.ts).
 */
interface Common {
  readonly env: string;
  /** The construct prop, dotted for the sessions keyring's (`sessions.rotationPeriod`). */
  readonly prop?: string;
  readonly context?: string;
}

export type NumberUnit = "seconds" | "milliseconds" | "days" | "percent" | "count";

export interface NumberSetting extends Common {
  readonly kind: "number";
  readonly unit: NumberUnit;
  readonly default: number;
  readonly min: number;
  readonly max: number;
}

export interface ChoiceSetting<T extends string = string> extends Common {
  readonly kind: "choice";
  readonly choices: readonly T[];
  readonly default: T;
}

export interface TextSetting extends Common {
  readonly kind: "text";
  readonly default?: string;
}

/** Set by the construct (or by hand outside CDK): where the stores are, who owns them. */
export interface WiringSetting extends Common {
  readonly kind: "wiring";
}

export type Setting = NumberSetting | ChoiceSetting | TextSetting | WiringSetting;

/** The prop and context key, when they are not the ones `named` derives. */
type Names = { readonly prop?: string; readonly context?: string };

const SUFFIX: Readonly<Record<NumberUnit, string>> = {
  seconds: "Seconds",
  milliseconds: "Ms",
  days: "Days",
  percent: "",
  count: "",
};

export const number = (
  unit: NumberUnit,
  env: string,
  fallback: number,
  min: number,
  max: number,
  names?: Names,
): NumberSetting => ({ kind: "number", unit, env, default: fallback, min, max, ...names });

export const choice = <const T extends string>(
  env: string,
  choices: readonly T[],
  fallback: T,
): ChoiceSetting<T> => ({ kind: "choice", env, choices, default: fallback });

export const text = (env: string, fallback: string | undefined): TextSetting => ({
  kind: "text",
  env,
  ...(fallback === undefined ? {} : { default: fallback }),
});

export const wiring = (env: string, names?: Names): WiringSetting => ({
  kind: "wiring",
  env,
  ...names,
});

/** Settings a construct prop does not set (the issuing endpoint's refresh settings). */
export const UNSET_BY_CONSTRUCT: Names = { prop: "", context: "" };

/**
 * Fills in each setting's prop and context key from its name where not given: the prop is the
 * name (`sessionsRotationPeriod` → `sessions.rotationPeriod`), the context key the name with its
 * unit (`clockToleranceSeconds`). Wiring is set by the construct itself unless it says otherwise.
 */
export function named<T extends Record<string, Setting>>(table: T): T {
  return Object.fromEntries(
    Object.entries(table).map(([name, setting]) => {
      if (setting.kind === "wiring" || setting.prop === "") {
        const { prop, context, ...rest } = setting;
        return [name, { ...rest, ...(prop ? { prop } : {}), ...(context ? { context } : {}) }];
      }
      const prop =
        setting.prop ??
        name.replace(/^sessions([A-Z])/, (_, first: string) => `sessions.${first.toLowerCase()}`);
      const context =
        setting.context ?? name + (setting.kind === "number" ? SUFFIX[setting.unit] : "");
      return [name, { ...setting, prop, context }];
    }),
  ) as T;
}

/** A number setting, a problem of `read` when out of its bounds. */
export function readNumber(read: EnvReader, setting: NumberSetting): number {
  return read.integer(setting.env, setting.default, setting.min, setting.max);
}

/** A choice setting, a problem of `read` when not one of its choices. */
export function readChoice<T extends string>(read: EnvReader, setting: ChoiceSetting<T>): T {
  return read.oneOf(setting.env, setting.choices, setting.default);
}

/** A text setting, its default when unset. */
export function readText(read: EnvReader, setting: TextSetting): string | undefined {
  return read.string(setting.env) ?? setting.default;
}
