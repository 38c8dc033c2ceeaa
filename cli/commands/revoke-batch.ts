import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import type { BatchResponse } from "../../functions/ops-api/wire.ts";
import type { Flags } from "../arguments.ts";
import { readBatchFile } from "../batch-file.ts";
import { CliError, EXIT, type OpsClient } from "../client.ts";
import type { Command } from "../command.ts";
import { confirm } from "../confirm.ts";
import { progressBar } from "../output/progress.ts";
import { oneLine } from "../output/terminal-text.ts";

const BATCH_CHUNK = 1000;

/** `keyward revoke-batch FILE`: revocations from a file, in chunks, resumable. */
export const revokeBatch: Command = {
  positionals: ["FILE"],
  options: ["reason"],
  synopsis: "revoke-batch FILE --reason R",
  summary:
    "revocations from a file: a JSON array, or one item per line (a token, sub:X, jti:J:EXP, claim:NAME=VALUE, kid:K); resumes after an interruption",
  examples: ['keyward revoke-batch breached.txt --reason "breach 2026-11-21"'],
  run: ({ values, positionals, client, reason }) =>
    sendBatch(client(), positionals[0], reason(), values),
};

/**
 * Sends a file of revocations in chunks, with a progress bar. After each chunk the number done is
 * saved beside the file (`FILE.keyward-progress`, gitignored), so a re-run after an interruption
 * skips what is done if the file did not change; a re-run with another reason asks first.
 */
async function sendBatch(
  client: OpsClient,
  path: string | undefined,
  reason: string,
  values: Flags,
): Promise<number> {
  if (path === undefined)
    throw new CliError(EXIT.usage, "usage: keyward revoke-batch FILE --reason R");
  const { items, digest } = readBatchFile(path);
  const progressFile = `${path}.keyward-progress`;
  const temporary = `${progressFile}.tmp`;
  let done = 0;
  if (existsSync(progressFile)) {
    let saved: { digest?: string; done?: number; reason?: string } = {};
    try {
      saved = JSON.parse(readFileSync(progressFile, "utf8"));
    } catch {
      // an unreadable progress file: start over
    }
    if (saved.digest === digest && typeof saved.done === "number") {
      done = Math.min(saved.done, items.length);
      if (saved.reason !== undefined && saved.reason !== reason)
        await confirm(
          values,
          `The interrupted run of ${path} gave the reason "${saved.reason}"; the rest would be journaled as "${reason}".`,
        );
    } else if (saved.digest !== undefined)
      process.stderr.write(
        "the file changed since the interrupted run: starting from the beginning\n",
      );
    if (done > 0) process.stderr.write(`resuming: ${done} of ${items.length} already done\n`);
  }
  const progress = progressBar(items.length, values.json === true);
  progress(done);
  const onInterrupt = () => {
    rmSync(temporary, { force: true });
    process.stderr.write(
      `\ninterrupted at ${done} of ${items.length}; re-run the same command to resume\n`,
    );
    process.exit(130);
  };
  process.once("SIGINT", onInterrupt);
  let expired = 0;
  let failed = 0;
  const failures: { index: number; error: string }[] = [];
  while (done < items.length) {
    const chunk = items.slice(done, done + BATCH_CHUNK);
    const { body } = await client.expect("POST", "/v1/revocations/batch", { items: chunk, reason });
    for (const result of (body as BatchResponse).results) {
      if (result.ok && result.noop) expired++;
      if (!result.ok) {
        failed++;
        if (failures.length < 20)
          failures.push({ index: done + result.index, error: result.error ?? "failed" });
      }
    }
    done += chunk.length;
    writeFileSync(temporary, JSON.stringify({ digest, done, reason }));
    renameSync(temporary, progressFile);
    progress(done);
  }
  process.removeListener("SIGINT", onInterrupt);
  rmSync(progressFile, { force: true });
  const revoked = items.length - failed - expired;
  const summary = { items: items.length, revoked, expired, failed, failures };
  if (values.json) console.log(JSON.stringify(summary, null, 2));
  else {
    console.log(`${revoked} revoked, ${expired} already expired (nothing to do), ${failed} failed`);
    for (const f of failures) console.log(`  item ${f.index + 1}: ${oneLine(f.error)}`);
  }
  return failed === 0 ? EXIT.ok : EXIT.refused;
}
