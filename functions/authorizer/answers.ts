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

export function allow(event: AuthorizerEvent, result: Authenticated): unknown {
  const context = contextOf(result);
  if (event.kind === "http-v2") return { isAuthorized: true, context };
  return {
    principalId: context.sub === "" ? `kid:${result.kid}` : context.sub,
    policyDocument: {
      Version: "2012-10-17",
      Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: event.methodArn }],
    },
    context,
  };
}

/** REST authorizers answer 401 by failing with exactly this message; HTTP APIs by a false. */
export const UNAUTHORIZED = "Unauthorized";

export function refuse(event: AuthorizerEvent | undefined): unknown {
  if (event?.kind === "http-v2") return { isAuthorized: false };
  throw new Error(UNAUTHORIZED);
}
