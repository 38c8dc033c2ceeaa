/**
 * `keyward/issuer`: what a Node login service imports to sign tokens with keyward's keyring.
 * See docs/issuing.md.
 */
export { KeywardError, UsageError } from "../errors.ts";
export {
  createIssuer,
  type IssuedToken,
  type Issuer,
  type IssuerKeyring,
  type IssuerOptions,
  IssuerUnavailable,
} from "./issuer.ts";
