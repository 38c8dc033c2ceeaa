/**
 * What a pasted token looks like in output: a compact JWS's segments ("eyJ…", a dot, more, a
 * dot). "eyJ" alone also turns up by chance in random ids (a change id, an instance id), which
 * leak nothing, so a test looking for a leak must not fail on those.
 */
export const PASTED_TOKEN = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\./;
