/**
 * Control characters and bidirectional overrides: ESC sequences can rewrite the operator's
 * terminal, CR and LF can forge lines, U+202E can reorder what is shown.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE_IN_A_LINE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

function escaped(char: string): string {
  const code = char.charCodeAt(0);
  return code < 0x100
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/** Text for the terminal: every unsafe character shown escaped (`\x1b`); line breaks and tabs kept. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, escaped);
}

/** A stored string (a reason, an actor, a target) printed inside a line: line breaks escaped too. */
export function oneLine(text: string): string {
  return text.replace(UNSAFE_IN_A_LINE, escaped);
}

/** A stored string inside Markdown: one line, and nothing that would change the document's structure. */
export function markdownText(text: string): string {
  return oneLine(text).replace(/[\\`*_[\]<>#|~!]/g, (char) => `\\${char}`);
}
