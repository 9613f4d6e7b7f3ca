export { createInboxHandler } from './inbox-handler.js';
export type { InboxHandler, InboxHandlerOptions } from './inbox-handler.js';
export { INBOX_CSRF_HEADER, LOOPBACK_HOSTS } from './request-guard.js';
