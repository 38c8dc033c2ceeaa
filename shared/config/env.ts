import { ConfigInvalid } from "../kernel/errors.ts";

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Reads settings from environment variables, collecting every problem instead of stopping at the
 * first, so a misconfigured function says everything that is wrong in one start. Values are never
 * echoed back (a misplaced secret must not reach a log).
 */
export class EnvReader {
  readonly #problems: string[] = [];

  constructor(private readonly env: Environment) {}

  string(name: string, fallback?: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === "" ? fallback : value.trim();
  }

  required(name: string, expected: string): string {
    const value = this.string(name);
    if (value === undefined) this.#problems.push(`${name} is required: ${expected}`);
    return value ?? "";
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw) || value < min || value > max) {
      this.#problems.push(`${name} must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return value;
  }

  oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    if (!values.includes(raw as T)) {
      this.#problems.push(`${name} must be one of ${values.join(", ")}`);
      return fallback;
    }
    return raw as T;
  }

  url(name: string): string | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    const protocol = URL.canParse(raw) ? new URL(raw).protocol : undefined;
    if (protocol === "https:" || protocol === "http:") return raw;
    this.#problems.push(`${name} must be an http(s) URL`);
    return undefined;
  }

  problem(message: string): void {
    this.#problems.push(message);
  }

  /** Throws `ConfigInvalid` listing every problem found so far. */
  done(): void {
    if (this.#problems.length > 0) throw new ConfigInvalid(this.#problems);
  }
}
