/**
 * The three authorizer events API Gateway sends, told apart by shape: REST TOKEN, REST REQUEST,
 * and HTTP API payload format 2.0. Only the fields keyward reads are typed.
 */
export type AuthorizerEvent =
  | { readonly kind: "rest-token"; readonly methodArn: string; readonly authorizationToken: string }
  | {
      readonly kind: "rest-request";
      readonly methodArn: string;
      readonly headers: Readonly<Record<string, string>>;
      readonly cookies: readonly string[];
    }
  | {
      readonly kind: "http-v2";
      readonly routeArn: string;
      readonly headers: Readonly<Record<string, string>>;
      readonly cookies: readonly string[];
    };

export function parseEvent(event: unknown): AuthorizerEvent | undefined {
  if (typeof event !== "object" || event === null) return undefined;
  const e = event as Record<string, unknown>;
  if (e.version === "2.0" && e.type === "REQUEST" && typeof e.routeArn === "string") {
    const cookies = Array.isArray(e.cookies)
      ? e.cookies.filter((c): c is string => typeof c === "string")
      : [];
    return { kind: "http-v2", routeArn: e.routeArn, headers: lowerCased(e.headers), cookies };
  }
  if (typeof e.methodArn !== "string") return undefined;
  if (e.type === "TOKEN" && typeof e.authorizationToken === "string") {
    return { kind: "rest-token", methodArn: e.methodArn, authorizationToken: e.authorizationToken };
  }
  if (e.type === "REQUEST") {
    const headers = lowerCased(e.headers);
    const cookieHeader = headers.cookie;
    const cookies = cookieHeader === undefined ? [] : cookieHeader.split(";").map((c) => c.trim());
    return { kind: "rest-request", methodArn: e.methodArn, headers, cookies };
  }
  return undefined;
}

function lowerCased(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof headers !== "object" || headers === null) return out;
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === "string") out[name.toLowerCase()] = value;
  }
  return out;
}
