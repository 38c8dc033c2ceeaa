import type { MiddlewareHandler } from "hono";
import { ConfigInvalid } from "../../shared/kernel/errors.ts";
import type { TokenClaims } from "../../shared/tokens/claims.ts";
import { type TokenSource, tokenOfRequest } from "../../shared/tokens/token-source.ts";
import type {
  Authenticate,
  AuthRefusal,
  AuthResult,
} from "../../shared/verification/authenticate.ts";
import { errorBody, RETRY_AFTER_SECONDS } from "../http/errors.ts";

/** What a protected route finds in `c.get("keyward")`. */
export interface KeywardIdentity {
  readonly claims: TokenClaims;
  readonly kid: string;
  /** The revocation store did not answer and the failure mode is open: allowed unchecked. */
  readonly revocationUnchecked: boolean;
}

export type KeywardEnv = { Variables: { keyward: KeywardIdentity } };

export interface KeywardMiddlewareOptions {
  /** The verification path every keyward verifier shares (`createAuthenticator`). */
  readonly authenticate: Authenticate;
  /** Where the token is. Default: `Authorization: Bearer`. */
  readonly tokenSource?: TokenSource;
  /** Called once per request with the result (metrics, logs, usage); never given the token. */
  readonly onResult?: (result: AuthResult) => void;
  /** `realm` of the `WWW-Authenticate` challenge. Default "keyward". */
  readonly realm?: string;
}

/** The verifier could not decide (no keyring, no revocation answer): the caller may retry. */
const UNAVAILABLE: ReadonlySet<AuthRefusal> = new Set(["keyring_unavailable", "store_unavailable"]);

/**
 * Hono middleware that lets through only requests whose token keyward accepts, with the verified
 * claims in `c.get("keyward")`. A refused token is 401 with an RFC 6750 challenge
 * (`error="invalid_token"`, or no error code when no token was sent) and a JSON body naming the
 * refusal reason; a verifier that could not decide answers 503 with `Retry-After`. The token is
 * never in an answer, a log line or an error. Options are checked when the middleware is made.
 */
export function keyward(options: KeywardMiddlewareOptions): MiddlewareHandler<KeywardEnv> {
  const problems: string[] = [];
  if (typeof options?.authenticate !== "function")
    problems.push("keyward(): authenticate must be a function (createAuthenticator)");
  const source = options?.tokenSource ?? { header: "authorization" };
  if (typeof source.header !== "string" || !/^[a-z0-9-]+$/.test(source.header))
    problems.push("keyward(): tokenSource.header must be a lower-case HTTP header name");
  if (source.cookie !== undefined && !/^[A-Za-z0-9_.-]+$/.test(source.cookie))
    problems.push("keyward(): tokenSource.cookie must be a cookie name");
  const realm = options?.realm ?? "keyward";
  if (!/^[\x20-\x7e]*$/.test(realm) || realm.includes('"'))
    problems.push("keyward(): realm must be printable ASCII without quotes");
  if (problems.length > 0) throw new ConfigInvalid(problems);

  return async (c, next) => {
    const result = await options.authenticate(tokenOfRequest((name) => c.req.header(name), source));
    options.onResult?.(result);
    if (result.ok) {
      c.set("keyward", {
        claims: result.claims,
        kid: result.kid,
        revocationUnchecked: result.revocationUnchecked,
      });
      await next();
      return;
    }
    if (UNAVAILABLE.has(result.reason)) {
      c.header("Retry-After", String(RETRY_AFTER_SECONDS));
      return c.json(errorBody(result.reason, "the token could not be checked; try again"), 503);
    }
    c.header(
      "WWW-Authenticate",
      result.reason === "token_missing"
        ? `Bearer realm="${realm}"`
        : `Bearer realm="${realm}", error="invalid_token", error_description="${result.reason}"`,
    );
    return c.json(errorBody(result.reason, "the token was refused"), 401);
  };
}
