import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { oneLine } from "../../cli/output/terminal-text.ts";
import type { WhoamiResponse } from "../../functions/ops-api/wire.ts";
import { CONSOLE_CSS } from "./style.ts";

type Markup = HtmlEscapedString | Promise<HtmlEscapedString> | string;

/** Where a page gets its stylesheet: the console's own URL, or written into a static report. */
export type Styling = { readonly href: string } | { readonly inline: true };

export interface PageParts {
  readonly title: string;
  readonly body: Markup;
  readonly styling: Styling;
  /** The operator, for the console's header; a static report has none. */
  readonly who?: WhoamiResponse;
  /** The console's links; none in a static report. */
  readonly nav?: readonly { readonly href: string; readonly label: string }[];
  readonly notice?: string;
  readonly error?: string;
}

/**
 * A whole page. Every value interpolated through `html` is escaped (journal reasons, kids,
 * actors hold whatever was typed); the only raw text is the stylesheet, a constant. A static
 * report carries its own Content-Security-Policy, as the console's server sends one: no script
 * anywhere, nothing fetched.
 */
export function page(parts: PageParts) {
  const inline = "inline" in parts.styling;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${inline ? html`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">` : ""}
<title>${parts.title} · keyward</title>
<link rel="icon" href="data:,">
${"href" in parts.styling ? html`<link rel="stylesheet" href="${parts.styling.href}">` : html`<style>${raw(CONSOLE_CSS)}</style>`}
</head>
<body>
<header>
<strong>keyward</strong>
${
  parts.nav === undefined
    ? html`<span>${parts.title}</span>`
    : html`<nav aria-label="Console">${parts.nav.map((link) => html`<a href="${link.href}">${link.label}</a>`)}</nav>`
}
${parts.who === undefined ? "" : html`<span class="who">${parts.who.name} (${parts.who.role})</span>`}
</header>
<main>
<h1>${parts.title}</h1>
${parts.notice === undefined ? "" : html`<p class="notice" role="status">${parts.notice}</p>`}
${parts.error === undefined ? "" : html`<p class="error" role="alert">${parts.error}</p>`}
${parts.body}
</main>
</body>
</html>`;
}

/** A swatch for a legend: a small SVG square (an inline style would break the CSP). */
export function swatch(colour: string, faded = false) {
  return html`<svg width="14" height="14" aria-hidden="true" class="swatch"><rect width="14" height="14" fill="${colour}" fill-opacity="${faded ? 0.35 : 1}" stroke="${colour}"/></svg>`;
}

/**
 * A stored string as an operator should see it: control characters (a terminal escape planted in
 * a reason), line breaks and bidirectional overrides shown escaped (`\x1b`), as the CLI prints
 * them, so nothing hides in them or reorders the page. HTML escaping is `html`'s.
 */
export function visible(text: string | undefined): string {
  return oneLine(text ?? "");
}

export const isoMinute = (value: string | undefined): string =>
  value === undefined ? "" : value.slice(0, 16).replace("T", " ");
