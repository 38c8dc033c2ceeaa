/** What API Gateway's REST Lambda proxy passes on about a caller the authorizer allowed. */
interface ProxyEvent {
  readonly requestContext?: { readonly authorizer?: Readonly<Record<string, unknown>> | null };
}

/**
 * The sample route behind the authorizer: answers who API Gateway says is calling, from the
 * authorizer's context (sub, kid, key status). No token reaches it, and none is echoed.
 */
export function greeting(event: ProxyEvent) {
  const context = event.requestContext?.authorizer ?? {};
  const field = (name: string) => (typeof context[name] === "string" ? context[name] : undefined);
  return {
    statusCode: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      message: "allowed by the keyward authorizer",
      sub: field("sub") ?? field("principalId") ?? null,
      kid: field("kid") ?? null,
      keyStatus: field("keyStatus") ?? null,
    }),
  };
}
