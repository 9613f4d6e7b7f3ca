/** The inbox page's style sheet (inline, under the page's CSP nonce). */
export const inboxStyles = String.raw`
:root {
  color-scheme: light dark;
  --bg: #f4f5f7; --panel: #ffffff; --text: #1c2024; --muted: #5b6470; --line: #dde1e6;
  --accent: #1f5fbf; --accent-text: #ffffff; --ok: #1b7f3b; --ok-bg: #e3f4e8; --bad: #b42318; --bad-bg: #fdecea;
  --warn: #8a5a00; --warn-bg: #fff4d6; --code-bg: #eef1f5;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #111418; --panel: #1a1f25; --text: #e6e9ed; --muted: #9aa4b0; --line: #2c333b;
    --accent: #5b9bff; --accent-text: #0b1220; --ok: #6fd08c; --ok-bg: #13301d; --bad: #ff8a7a; --bad-bg: #3a1512;
    --warn: #ffc857; --warn-bg: #33270a; --code-bg: #232a32;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.top { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-end; justify-content: space-between; padding: 20px 32px; background: var(--panel); border-bottom: 1px solid var(--line); }
h1 { margin: 0; font-size: 22px; }
.subtitle { margin: 2px 0 0; color: var(--muted); font-size: 13px; }
.controls { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
.controls label { font-weight: 600; }
select, input[type="text"] { font: inherit; padding: 6px 10px; border: 1px solid var(--line); border-radius: 6px; background: var(--panel); color: var(--text); }
.connection { margin: 0; font-size: 12px; color: var(--muted); padding: 2px 8px; border-radius: 999px; border: 1px solid var(--line); }
.connection.live { color: var(--ok); border-color: var(--ok); }
.connection.down { color: var(--bad); border-color: var(--bad); }
main { max-width: 980px; margin: 0 auto; padding: 24px 32px 48px; }
h2 { font-size: 17px; margin: 24px 0 12px; display: flex; align-items: center; gap: 8px; }
.count { font-size: 12px; background: var(--accent); color: var(--accent-text); border-radius: 999px; padding: 0 8px; }
.empty { color: var(--muted); margin: 0 0 8px; }
.cards { display: grid; gap: 14px; }
.card { background: var(--panel); border: 1px solid var(--line); border-left: 4px solid var(--accent); border-radius: 8px; padding: 16px 20px; }
.card.dual { border-left-color: var(--warn); }
.card-head { display: flex; justify-content: space-between; gap: 12px; align-items: flex-start; }
.binding { margin: 0; font-size: 18px; font-weight: 650; overflow-wrap: anywhere; white-space: pre-wrap; }
.badge { display: inline-block; justify-self: start; font-size: 12px; font-weight: 600; border-radius: 4px; padding: 1px 8px; white-space: nowrap; }
.badge.dual { background: var(--warn-bg); color: var(--warn); }
.badge.approved { background: var(--ok-bg); color: var(--ok); }
.badge.denied { background: var(--bad-bg); color: var(--bad); }
.badge.expired { background: var(--code-bg); color: var(--muted); }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 12px 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
code { font: 13px/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; background: var(--code-bg); padding: 1px 5px; border-radius: 4px; }
.time-left { font-variant-numeric: tabular-nums; font-weight: 600; }
.time-left.soon { color: var(--bad); }
.progress { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; margin: 8px 0 12px; }
.progress progress { width: 120px; height: 10px; accent-color: var(--ok); }
.progress-text { font-weight: 600; }
.approved-by { color: var(--muted); }
.actions { display: flex; gap: 10px; flex-wrap: wrap; }
.why-not { align-self: center; color: var(--muted); font-size: 13px; }
button:disabled[title] { cursor: not-allowed; }
button { font: inherit; font-weight: 600; border-radius: 6px; padding: 7px 14px; cursor: pointer; border: 1px solid transparent; }
button:disabled { opacity: 0.55; cursor: progress; }
button:focus-visible, select:focus-visible, input:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.approve { background: var(--ok); color: #ffffff; }
.deny { background: var(--panel); color: var(--bad); border-color: var(--bad); }
.secondary { background: var(--panel); color: var(--text); border-color: var(--line); }
.deny-form { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin-top: 12px; }
.deny-form input { flex: 1 1 240px; }
.error { color: var(--bad); background: var(--bad-bg); border-radius: 6px; padding: 6px 10px; margin: 10px 0 0; }
.error:empty { display: none; }
.page-error { margin-bottom: 12px; }
.history { list-style: none; padding: 0; margin: 0; display: grid; gap: 8px; }
.history li { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; display: grid; grid-template-columns: 80px 1fr; gap: 2px 12px; align-items: baseline; }
.history .history-message { font-weight: 600; overflow-wrap: anywhere; white-space: pre-wrap; }
.history .history-meta, .history .history-decision { grid-column: 2; color: var(--muted); font-size: 13px; overflow-wrap: anywhere; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
[hidden] { display: none !important; }
.call-title { margin: 0; font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: 0.04em; }
.call-headline { margin: 2px 0 0; font: 600 17px/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; overflow-wrap: anywhere; white-space: pre-wrap; }
.repeat-group { border: 2px dashed var(--warn); border-radius: 10px; padding: 10px 12px; display: grid; gap: 10px; }
.repeat-head { display: flex; align-items: center; gap: 8px; }
.repeat-count { background: var(--warn); }
.repeat-title { margin: 0; font-weight: 650; color: var(--warn); }
.repeat-hint { margin: 0; color: var(--muted); font-size: 13px; }
.history .history-says { grid-column: 2; color: var(--muted); font-size: 13px; overflow-wrap: anywhere; white-space: pre-wrap; }
.flag.lookalike { color: var(--bad); background: var(--bad-bg); }
.arguments { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 12px 0; padding: 10px 12px; border: 1px solid var(--line); border-radius: 6px; }
.arguments dt { font-weight: 600; }
.arguments dd { margin: 0; overflow-wrap: anywhere; font-size: 16px; }
.flag { display: inline-block; margin-left: 8px; font-size: 12px; font-weight: 600; color: var(--warn); background: var(--warn-bg); border-radius: 4px; padding: 0 6px; }
.agent-says { color: var(--muted); }
.agent-says-label { font-size: 12px; }
.agent-says .binding { font-size: 14px; font-weight: 500; color: var(--muted); margin: 0; }
.mismatch { color: var(--bad); background: var(--bad-bg); border-radius: 6px; padding: 6px 10px; font-weight: 600; }
.decision-rule { color: var(--muted); font-size: 13px; }
`;
