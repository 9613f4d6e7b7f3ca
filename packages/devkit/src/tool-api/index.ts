export { startToolApi } from './start-tool-api.js';
export type { ToolApi, ToolApiOptions, DpopAlgorithm, PublicJwkSet } from './start-tool-api.js';
export { ToolApiError } from './tool-api-error.js';
export type { ToolApiErrorCode } from './tool-api-error.js';
export { argumentsHash } from './action-authorization.js';
export { defaultTreasuryAccounts } from './treasury-ledger.js';
export type { KeyRotationRecord, PayoutRecord, TokenApprover, TreasuryAccount, TreasuryLedgerView } from './treasury-ledger.js';
