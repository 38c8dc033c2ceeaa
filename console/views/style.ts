/**
 * The console's one stylesheet: served at `/console/console.css` (the CSP allows only styles from
 * the console itself) and written into a static report's own <style>. Readable at 1280 × 800
 * and on a phone-width screen; colours keep a 4.5:1 contrast.
 */
export const CONSOLE_CSS = `
:root { --ink: #1b1f24; --muted: #4a5360; --line: #c9d1d9; --bg: #ffffff; --panel: #f4f6f8;
  --accent: #0b5cad; --bad: #a4161a; --warn: #7a4b00; --ok: #1b6b2f; font-family: system-ui, sans-serif; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: var(--bg); line-height: 1.45; }
header { background: #14233a; color: #fff; padding: .6rem 1rem; display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; align-items: baseline; }
header strong { font-size: 1.1rem; }
header nav { display: flex; flex-wrap: wrap; gap: .2rem 1rem; }
header nav a { color: #fff; }
header .who { margin-left: auto; font-size: .9rem; }
main { padding: 1rem; max-width: 1200px; margin: 0 auto; }
h1 { font-size: 1.4rem; margin: .2rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 1.6rem 0 .6rem; }
a { color: var(--accent); }
section.card { border: 1px solid var(--line); border-radius: 6px; padding: .8rem 1rem; margin: 0 0 1rem; background: var(--bg); }
.alerts { list-style: none; padding: 0; margin: 0 0 1rem; }
.alerts li { border-left: 4px solid var(--warn); background: #fff7e6; padding: .5rem .8rem; margin-bottom: .4rem; }
.alerts li.bad { border-color: var(--bad); background: #fdecec; }
.notice { border-left: 4px solid var(--ok); background: #eaf6ec; padding: .5rem .8rem; margin-bottom: 1rem; }
.error { border-left: 4px solid var(--bad); background: #fdecec; padding: .5rem .8rem; margin-bottom: 1rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--panel); }
code, .kid { font-family: ui-monospace, monospace; font-size: .88rem; word-break: break-all; }
.status-pending { color: #6b3fa0; } .status-current { color: var(--ok); font-weight: 600; }
.status-previous { color: var(--accent); } .status-retired, .status-destroyed { color: var(--muted); }
.compromised { color: var(--bad); font-weight: 600; }
svg { max-width: 100%; height: auto; display: block; }
.scroll > svg { max-width: none; width: 100%; min-width: 640px; }
.scroll > table { min-width: 720px; }
svg text { font-family: system-ui, sans-serif; font-size: 12px; fill: var(--ink); }
.legend { display: flex; flex-wrap: wrap; gap: .3rem 1rem; font-size: .88rem; padding: 0; list-style: none; }
.legend li { display: flex; align-items: center; gap: .35rem; }
.legend .kid { word-break: normal; }
form.inline { display: inline-block; margin: 0 .4rem .4rem 0; }
form.action { border: 1px solid var(--line); border-radius: 6px; padding: .6rem .8rem; margin: .5rem 0; background: var(--panel); }
fieldset { border: 0; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: end; }
label { display: flex; flex-direction: column; font-size: .9rem; gap: .2rem; }
input, select, button { font: inherit; padding: .35rem .5rem; border: 1px solid var(--muted); border-radius: 4px; }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
button.danger { background: var(--bad); border-color: var(--bad); }
button:focus-visible, a:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid #f0a500; outline-offset: 2px; }
.muted { color: var(--muted); }
@media (max-width: 600px) { main { padding: .6rem; } th, td { padding: .3rem; } header .who { margin-left: 0; } }
`;
