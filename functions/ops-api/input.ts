import type { RevocationRequest } from "../../shared/operations/revocations.ts";
import { ApiError } from "../http/errors.ts";
import { type Fields, kidText, optionalText, text } from "../http/input.ts";

const TARGET_FIELDS = [
  "token",
  "jti",
  "exp",
  "iss",
  "sub",
  "claim",
  "value",
  "all",
  "kid",
  "family",
] as const;

/**
 * Exactly one of token, jti (+ exp, iss), sub, claim (+ value), all: true, kid, family (a
 * refresh-token family: the claim rule `fid=F`, which its access tokens carry and its refreshes
 * read). `latestExp` (seconds)
 * bounds a jti's exp: no token keyward accepts expires later (now + the maximum lifetime).
 */
export function revocationRequest(
  fields: Fields,
  where: string,
  latestExp: number,
): RevocationRequest {
  const given = ["token", "jti", "sub", "claim", "all", "kid", "family"].filter(
    (name) => fields[name] !== undefined,
  );
  if (given.length !== 1) {
    throw new ApiError(
      400,
      "invalid_request",
      `${where} must have exactly one of token, jti, sub, claim, all, kid, family`,
    );
  }
  const extra = (allowed: string[]) => {
    const stray = TARGET_FIELDS.filter(
      (name) => fields[name] !== undefined && !allowed.includes(name),
    );
    if (stray.length > 0)
      throw new ApiError(
        400,
        "invalid_request",
        `${where}: ${stray.join(", ")} cannot go with ${given[0]}`,
      );
  };
  switch (given[0]) {
    case "token":
      extra(["token"]);
      return { kind: "by-token", token: text(fields, "token", 16_384, where) };
    case "jti": {
      extra(["jti", "exp", "iss"]);
      const exp = fields.exp;
      if (typeof exp !== "number" || !Number.isInteger(exp) || exp <= 0) {
        throw new ApiError(
          400,
          "invalid_request",
          `${where}.exp (the token's expiry, seconds since the epoch) is required with jti`,
        );
      }
      if (exp > latestExp) {
        throw new ApiError(
          400,
          "invalid_request",
          `${where}.exp is after ${latestExp}: no token lives longer than the maximum token lifetime`,
        );
      }
      const iss = optionalText(fields, "iss", 512, where);
      return {
        kind: "token",
        jti: text(fields, "jti", 256, where),
        exp,
        ...(iss === undefined ? {} : { iss }),
      };
    }
    case "sub":
      extra(["sub"]);
      return { kind: "subject", sub: text(fields, "sub", 512, where) };
    case "claim":
      extra(["claim", "value"]);
      return {
        kind: "claim",
        name: text(fields, "claim", 128, where),
        value: text(fields, "value", 512, where),
      };
    case "kid":
      extra(["kid"]);
      return { kind: "kid", kid: kidText(fields, "kid", where) };
    case "family": {
      extra(["family"]);
      const family = text(fields, "family", 64, where);
      if (!/^[A-Za-z0-9_-]{22}$/.test(family))
        throw new ApiError(400, "invalid_request", `${where}.family is not a family id`);
      return { kind: "claim", name: "fid", value: family };
    }
    default:
      extra(["all"]);
      if (fields.all !== true)
        throw new ApiError(400, "invalid_request", `${where}.all must be true`);
      return { kind: "all" };
  }
}

export const REVOCATION_FIELDS = [...TARGET_FIELDS];
