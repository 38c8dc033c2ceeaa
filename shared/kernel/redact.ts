/** Anything shaped like a compact JWS or JWE, wherever it appears in a string. */
const TOKEN_SHAPE =
  /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?/g;

export const TOKEN_MARKER = "[token removed]";

/**
 * Replaces anything token-shaped in text that is logged, journaled or published (a reason, a
 * subject, a claim value, an error message) with a marker, so a token pasted into a reason
 * still lets the change be journaled, and is stored nowhere.
 */
export function redactTokens(text: string): string {
  return text.replace(TOKEN_SHAPE, TOKEN_MARKER);
}
