export interface TokenSource {
  /** Lower-case header name; `authorization` means the Bearer scheme. */
  readonly header: string;
  readonly cookie?: string;
}

const BEARER = /^Bearer +(\S+)$/i;
const SPACES = /\s/;

/** The credential of an `Authorization: Bearer …` value; undefined for any other value. */
export function bearerToken(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  // The usual shape, "Bearer <token>", read without a regular expression over the whole token.
  if (value.startsWith("Bearer ") && value.charCodeAt(7) !== 32) {
    const token = value.slice(7);
    if (!SPACES.test(token)) return token;
  }
  return BEARER.exec(value.trim())?.[1];
}

/**
 * The token of a request, from the configured header's value (Bearer for Authorization) or, when
 * the header is absent, the configured cookie among `cookies` (each `name=value`). One reading for
 * every verifier: the Lambda authorizer's events and the edge's requests.
 */
export function tokenIn(
  header: string | undefined,
  cookies: readonly string[],
  source: TokenSource,
): string | undefined {
  if (header !== undefined) return fromHeader(header, source.header);
  if (source.cookie === undefined) return undefined;
  for (const cookie of cookies) {
    const eq = cookie.indexOf("=");
    if (eq > 0 && cookie.slice(0, eq).trim() === source.cookie) {
      const value = cookie.slice(eq + 1).trim();
      return value === "" ? undefined : value;
    }
  }
  return undefined;
}

/** A header's token: the Bearer credential, or (for a header other than Authorization) its value. */
export function fromHeader(value: string, header: string): string | undefined {
  const bearer = bearerToken(value);
  if (bearer !== undefined) return bearer;
  if (header === "authorization") return undefined;
  const raw = value.trim();
  return raw === "" ? undefined : raw;
}

const NO_COOKIES: readonly string[] = [];

/**
 * The token of an HTTP request (the edge, the local stack's sample route), given its headers by
 * name: `tokenIn` on the configured header, the `Cookie` header read only when that header is
 * absent and a cookie may hold the token.
 */
export function tokenOfRequest(
  header: (name: string) => string | undefined,
  source: TokenSource,
): string | undefined {
  const value = header(source.header);
  const cookies =
    value === undefined && source.cookie !== undefined
      ? (header("cookie") ?? "").split(";")
      : NO_COOKIES;
  return tokenIn(value, cookies, source);
}
