import { INBOX_CSRF_HEADER } from './request-guard.js';
import { inboxScript } from './inbox-script.js';
import { inboxStyles } from './inbox-styles.js';

/** What the page needs from the server. */
export interface InboxPageOptions {
  /** CSP nonce of this response, for the inline script and style. */
  nonce: string;
  /** Path the page is served at, e.g. `/inbox`. */
  basePath: string;
  /** Polling interval when the live stream is down, milliseconds. */
  pollInterval: number;
}

/**
 * The approval inbox page: one self-contained HTML document (inline style and script under a CSP
 * nonce, no external asset). It carries no data: the script loads the requests from the JSON API
 * and renders every agent-supplied string as text, never as markup.
 */
export function renderInboxPage(options: InboxPageOptions): string {
  const attribute = (value: string | number) => escapeHtml(String(value));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Approval inbox · Countersign devkit</title>
<link rel="icon" href="data:,">
<style nonce="${attribute(options.nonce)}">${inboxStyles}</style>
</head>
<body data-state="loading" data-connection="connecting" data-base-path="${attribute(options.basePath)}" data-poll-interval="${attribute(options.pollInterval)}" data-csrf-header="${attribute(INBOX_CSRF_HEADER)}">
<header class="top">
  <div class="brand">
    <h1>Approval inbox</h1>
    <p class="subtitle">Countersign devkit · agents wait here for a human to countersign one exact action</p>
  </div>
  <div class="controls">
    <label for="approver">Acting as</label>
    <select id="approver" name="approver" disabled><option>Loading…</option></select>
    <p id="connection" class="connection" role="status">Connecting…</p>
  </div>
</header>
<main>
  <p id="page-error" class="error page-error" role="alert" hidden></p>
  <section aria-labelledby="pending-heading">
    <h2 id="pending-heading">Waiting for approval <span id="pending-count" class="count">0</span></h2>
    <p id="pending-empty" class="empty">Loading the requests…</p>
    <div id="pending" class="cards"></div>
  </section>
  <section aria-labelledby="history-heading">
    <h2 id="history-heading">History</h2>
    <p id="history-empty" class="empty">Loading…</p>
    <ol id="history" class="history"></ol>
  </section>
  <div id="announcer" class="visually-hidden" aria-live="polite"></div>
</main>
<script nonce="${attribute(options.nonce)}">${inboxScript}</script>
</body>
</html>
`;
}

/** Escapes text for an HTML attribute or text node. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
