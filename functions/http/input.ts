import { KID_PATTERN } from "../../shared/keyring/key.ts";
import { ApiError } from "./errors.ts";

export type Fields = Readonly<Record<string, unknown>>;

/** The request body as JSON; anything else is a 400 `invalid_json` (never the parser's text). */
export async function jsonBody(c: { req: { text(): Promise<string> } }): Promise<unknown> {
  try {
    return JSON.parse(await c.req.text());
  } catch {
    throw new ApiError(400, "invalid_json", "request body is not valid JSON");
  }
}

/** A JSON object with only the `allowed` fields: anything else is refused by name. */
export function strictObject(value: unknown, allowed: readonly string[], where = "body"): Fields {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ApiError(400, "invalid_request", `${where} must be a JSON object`);
  }
  const unknown = Object.keys(value).filter((field) => !allowed.includes(field));
  if (unknown.length > 0) {
    throw new ApiError(
      400,
      "invalid_request",
      `${where} has unknown field${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}`,
    );
  }
  return value as Fields;
}

export function text(fields: Fields, name: string, max: number, where = "body"): string {
  const value = fields[name];
  if (typeof value !== "string" || value.trim() === "" || value.length > max) {
    throw new ApiError(
      400,
      "invalid_request",
      `${where}.${name} must be a non-empty string of at most ${max} characters`,
    );
  }
  return value;
}

export function optionalText(
  fields: Fields,
  name: string,
  max: number,
  where = "body",
): string | undefined {
  return fields[name] === undefined ? undefined : text(fields, name, max, where);
}

/** A key id: 1 to 64 characters A-Z a-z 0-9 _ - (what keyward generates). */
export function kidText(fields: Fields, name: string, where = "body"): string {
  const value = fields[name];
  if (typeof value !== "string" || !KID_PATTERN.test(value)) {
    throw new ApiError(
      400,
      "invalid_request",
      `${where}.${name} must be a kid (1 to 64 characters A-Z a-z 0-9 _ -)`,
    );
  }
  return value;
}

const MAX_CLAIMS_DEPTH = 8;
const MAX_CLAIMS_CHARACTERS = 8192;

/**
 * Custom claims: a JSON object at most 8 levels deep and 8 KiB serialized, walked without
 * recursion (a deeply nested body must be a 400, not a stack overflow).
 */
export function boundedClaims(value: unknown, where: string): Fields {
  const claims = strictObject(value, Object.keys((value ?? {}) as object), where);
  const pending: [unknown, number][] = [[claims, 1]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop() as [unknown, number];
    if (typeof node !== "object" || node === null) continue;
    if (depth > MAX_CLAIMS_DEPTH)
      throw new ApiError(
        400,
        "invalid_request",
        `${where} is nested more than ${MAX_CLAIMS_DEPTH} levels deep`,
      );
    for (const child of Object.values(node)) pending.push([child, depth + 1]);
  }
  if (JSON.stringify(claims).length > MAX_CLAIMS_CHARACTERS)
    throw new ApiError(
      400,
      "invalid_request",
      `${where} is larger than ${MAX_CLAIMS_CHARACTERS} characters as JSON`,
    );
  return claims;
}
