import { fromHeader, type TokenSource, tokenIn } from "../../shared/tokens/token-source.ts";
import type { AuthorizerEvent } from "./events.ts";

export type { TokenSource } from "../../shared/tokens/token-source.ts";

/** The token of an authorizer event: from the configured header (Bearer for Authorization), else the cookie. */
export function extractToken(event: AuthorizerEvent, source: TokenSource): string | undefined {
  if (event.kind === "rest-token") return fromHeader(event.authorizationToken, source.header);
  return tokenIn(event.headers[source.header], event.cookies, source);
}
