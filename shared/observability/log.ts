import { redactTokens } from "../kernel/redact.ts";
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Readonly<Record<string, unknown>>;
export type LineWriter = (line: string) => void;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

// biome-ignore lint/suspicious/noConsole: the logger's one way out, on every platform
export const stdoutWriter: LineWriter = (line) => console.log(line);

/**
 * Structured JSON logs, one object per line. Callers never pass tokens or key material; as a last
 * line of defence, anything shaped like a token is replaced by "[token removed]", and errors are
 * reduced to their name, code and (redacted) message.
 */
export function createLogger(
  service: string,
  write: LineWriter = stdoutWriter,
  now = () => Date.now(),
): Logger {
  const emit = (level: LogLevel, message: string, fields: LogFields = {}) => {
    const entry: Record<string, unknown> = {
      level,
      time: new Date(now()).toISOString(),
      service,
      message,
    };
    for (const [name, value] of Object.entries(fields)) entry[name] = clean(value, 0);
    write(JSON.stringify(entry));
  };
  return {
    info: (message, fields) => emit("info", message, fields),
    warn: (message, fields) => emit("warn", message, fields),
    error: (message, fields) => emit("error", message, fields),
  };
}

function clean(value: unknown, depth: number): unknown {
  if (typeof value === "string") return redact(value);
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return {
      name: value.name,
      ...(typeof code === "string" ? { code } : {}),
      message: redact(value.message),
    };
  }
  if (Array.isArray(value)) return depth > 4 ? "[…]" : value.map((item) => clean(item, depth + 1));
  if (typeof value === "object" && value !== null) {
    if (depth > 4) return "[…]";
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clean(v, depth + 1)]));
  }
  return value;
}

export function redact(text: string): string {
  return redactTokens(text);
}
