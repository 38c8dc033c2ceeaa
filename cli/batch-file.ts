import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { CliError, EXIT } from "./client.ts";

export type BatchItem = Readonly<Record<string, unknown>>;

/**
 * The items of a revoke-batch file: a JSON array of items as the API takes them, or one item per
 * line: a token, `sub:<value>`, `jti:<value>:<exp>`, `claim:<name>=<value>`, `kid:<kid>`, or a
 * JSON object.
 * Blank lines and lines starting with # are skipped. Every bad line is reported at once.
 */
export function readBatchFile(path: string): { items: BatchItem[]; digest: string } {
  let content: string;
  try {
    content = readFileSync(path, "utf8");
  } catch {
    throw new CliError(EXIT.usage, `cannot read ${path}`);
  }
  const digest = createHash("sha256").update(content).digest("hex");
  if (content.trimStart().startsWith("[")) {
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch {
      throw new CliError(EXIT.usage, `${path} starts with [ but is not a JSON array`);
    }
    if (!Array.isArray(value)) throw new CliError(EXIT.usage, `${path} is not a JSON array`);
    return { items: value as BatchItem[], digest };
  }
  const items: BatchItem[] = [];
  const problems: string[] = [];
  content.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const item = parseLine(line);
    if (item === undefined)
      problems.push(`line ${index + 1}: not a token, sub:, jti:, claim:, kid: or JSON object`);
    else items.push(item);
  });
  if (problems.length > 0)
    throw new CliError(EXIT.usage, `${path}:\n  ${problems.slice(0, 20).join("\n  ")}`);
  return { items, digest };
}

function parseLine(line: string): BatchItem | undefined {
  if (line.startsWith("{")) {
    try {
      return JSON.parse(line) as BatchItem;
    } catch {
      return undefined;
    }
  }
  if (/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(line)) return { token: line };
  const [kind, ...rest] = line.split(":");
  const value = rest.join(":");
  if (kind === "sub" && value !== "") return { sub: value };
  if (kind === "kid" && value !== "") return { kid: value };
  if (kind === "jti") {
    const [jti, exp] = [
      value.slice(0, value.lastIndexOf(":")),
      Number(value.slice(value.lastIndexOf(":") + 1)),
    ];
    return jti !== "" && Number.isInteger(exp) ? { jti, exp } : undefined;
  }
  if (kind === "claim" && value.includes("=")) {
    const eq = value.indexOf("=");
    return { claim: value.slice(0, eq), value: value.slice(eq + 1) };
  }
  return undefined;
}
