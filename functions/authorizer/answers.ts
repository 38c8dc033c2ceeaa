import type { Authenticated } from "../../shared/verification/authenticate.ts";
import type { AuthorizerEvent } from "./events.ts";

/** What API Gateway passes on to the backend about an allowed request. */
export function contextOf(result: Authenticated): Record<string, string | boolean> {
  const { claims } = result;
  return {
    sub: typeof claims.sub === "string" ? claims.sub : "",
    kid: result.kid,
    jti: typeof claims.jti === "string" ? claims.jti : "",
    scope: typeof claims.scope === "string" ? claims.scope : "",
    keyStatus: result.keyStatus,
    legacy: result.legacy,
  };
}

export function allow(
  event: AuthorizerEvent,
  result: Authenticated,
  policies: AllowPolicies,
): unknown {
  const context = contextOf(result);
  if (event.kind === "http-v2") return { isAuthorized: true, context };
  return {
    principalId: context.sub === "" ? `kid:${result.kid}` : context.sub,
    policyDocument: policies.for(event.methodArn),
    context,
  };
}

/**
 * The policy allowing one method, made once per method ARN and frozen (the runtime only
 * serializes it): a container serves the same few methods again and again. Bounded: past
 * `max` methods it starts again.
 */
export class AllowPolicies {
  readonly #byArn = new Map<string, unknown>();

  constructor(private readonly max = 1000) {}

  for(methodArn: string): unknown {
    let policy = this.#byArn.get(methodArn);
    if (policy === undefined) {
      if (this.#byArn.size >= this.max) this.#byArn.clear();
      policy = Object.freeze({
        Version: "2012-10-17",
        Statement: Object.freeze([
          Object.freeze({ Action: "execute-api:Invoke", Effect: "Allow", Resource: methodArn }),
        ]),
      });
      this.#byArn.set(methodArn, policy);
    }
    return policy;
  }
}

/** REST authorizers answer 401 by failing with exactly this message; HTTP APIs by a false. */
export const UNAUTHORIZED = "Unauthorized";

export function refuse(event: AuthorizerEvent | undefined): unknown {
  if (event?.kind === "http-v2") return { isAuthorized: false };
  throw new Error(UNAUTHORIZED);
}
