/**
 * `keyward/sessions`: what a Node service that holds sessions imports to seal and open them with
 * keyward's sessions keyring. See docs/sealing.md.
 */
export { ConfigInvalid, KeywardError, UsageError } from "../kernel/errors.ts";
export { DEFAULT_LEGACY_LAYOUT, type LegacyLayout } from "./envelope.ts";
export {
  OPEN_REFUSALS,
  type OpenRefusal,
  type OpenResult,
  type Sealer,
  type SealingOptions,
  type SealOptions,
} from "./sealer.ts";
export {
  createSessions,
  type Sessions,
  type SessionsKeyring,
  type SessionsOptions,
} from "./sessions.ts";
