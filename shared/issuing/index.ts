/**
 * `keyward/issuer`: what a Node login service imports to sign tokens with keyward's keyring.
 * See docs/issuing.md.
 */
export { KeywardError, StoreUnavailable, UsageError } from "../kernel/errors.ts";
export type { RefreshOptions } from "../refresh/settings.ts";
export {
  type Family,
  REFRESH_REFUSALS,
  type RefreshRefusal,
  type RefreshStore,
  type Session,
} from "../refresh/store.ts";
export { type UpstashRefreshOptions, UpstashRefreshStore } from "../refresh/upstash.ts";
export {
  createIssuer,
  type IssuedToken,
  type IssueRequest,
  type Issuer,
  type IssuerKeyring,
  type IssuerOptions,
  IssuerUnavailable,
  type RefreshResult,
} from "./issuer.ts";
