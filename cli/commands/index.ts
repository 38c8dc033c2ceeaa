import type { Command } from "../command.ts";
import { activate } from "./activate.ts";
import { audit } from "./audit.ts";
import { check } from "./check.ts";
import { consoleCommand } from "./console.ts";
import { families, sessions } from "./families.ts";
import { hashToken } from "./hash-token.ts";
import { help } from "./help.ts";
import { init } from "./init.ts";
import { journal } from "./journal.ts";
import { keys } from "./keys.ts";
import { plan } from "./plan.ts";
import { reinstate } from "./reinstate.ts";
import { revoke } from "./revoke.ts";
import { revokeBatch } from "./revoke-batch.ts";
import { rollback } from "./rollback.ts";
import { rotate } from "./rotate.ts";
import { simulate } from "./simulate.ts";
import { status } from "./status.ts";
import { verifiers } from "./verifiers.ts";

/**
 * Every `keyward` command, in the order `keyward help` lists them: one table, so the help cannot
 * drift from what the parser accepts.
 */
export const COMMANDS: Readonly<Record<string, Command>> = {
  init,
  status,
  rotate,
  activate,
  rollback,
  reinstate,
  revoke,
  "revoke-batch": revokeBatch,
  check,
  families,
  sessions,
  verifiers,
  console: consoleCommand,
  audit,
  keys,
  plan,
  journal,
  simulate,
  "hash-token": hashToken,
  help,
};
