import { sha256, toHex } from "../../shared/access/operators.ts";
import { CliError, EXIT } from "../client.ts";
import type { Command } from "../command.ts";

/** `keyward hash-token`: the SHA-256 the ops API compares an operator credential with. */
export const hashToken: Command = {
  positionals: [],
  options: [],
  synopsis: "hash-token",
  summary: "SHA-256 of an operator credential read on stdin, for KEYWARD_OPERATORS",
  examples: ["openssl rand -base64 32 | tee cred | keyward hash-token"],
  async run({ out }) {
    // Read from stdin, never from the command line, so the credential stays out of shell history.
    let credential = "";
    for await (const chunk of process.stdin) credential += chunk;
    credential = credential.trim();
    if (credential.length < 32)
      throw new CliError(EXIT.usage, "give a credential of at least 32 characters on stdin");
    const hash = toHex(sha256(credential));
    out(hash, { tokenSha256: hash });
    return EXIT.ok;
  },
};
