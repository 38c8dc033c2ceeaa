import {
  type HasCredential,
  holderOf,
  presentedCredential,
} from "../../shared/access/credentials.ts";
import { ApiError } from "./errors.ts";

/**
 * The holder of the credential a request presents (`Authorization: Bearer …`, or
 * `X-Keyward-Credential` behind IAM auth), compared in constant time; else a 401 with
 * `WWW-Authenticate` for `realm` (`error="invalid_token"` when a credential was sent).
 */
export async function requireHolder<T extends HasCredential>(
  c: {
    req: { header(name: string): string | undefined };
    header(name: string, value: string): void;
  },
  holders: readonly T[],
  realm: string,
  message: string,
): Promise<T> {
  const presented = presentedCredential({
    authorization: c.req.header("authorization"),
    dedicated: c.req.header("x-keyward-credential"),
  });
  const holder =
    presented.credential === undefined ? undefined : holderOf(holders, presented.credential);
  if (holder === undefined) {
    c.header(
      "WWW-Authenticate",
      `Bearer realm="${realm}"${presented.given ? ', error="invalid_token"' : ""}`,
    );
    throw new ApiError(401, "unauthorized", message);
  }
  return holder;
}
