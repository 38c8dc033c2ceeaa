import type { AuthorizerEvent } from "./events.ts";

export interface TokenSource {
  /** Lower-case header name; `authorization` means the Bearer scheme. */
  readonly header: string;
  readonly cookie?: string;
}

const BEARER = /^Bearer +(\S+)$/i;

/** The token of a request: from the configured header (Bearer for Authorization), else the cookie. */
export function extractToken(event: AuthorizerEvent, source: TokenSource): string | undefined {
  if (event.kind === "rest-token") return fromHeader(event.authorizationToken, source.header);
  const header = event.headers[source.header];
  if (header !== undefined) return fromHeader(header, source.header);
  if (source.cookie === undefined) return undefined;
  for (const cookie of event.cookies) {
    const eq = cookie.indexOf("=");
    if (eq > 0 && cookie.slice(0, eq).trim() === source.cookie) {
      const value = cookie.slice(eq + 1).trim();
      return value === "" ? undefined : value;
    }
  }
  return undefined;
}

function fromHeader(value: string, header: string): string | undefined {
  const bearer = BEARER.exec(value.trim());
  if (bearer !== null) return bearer[1];
  if (header === "authorization") return undefined;
  const raw = value.trim();
  return raw === "" ? undefined : raw;
}
