import { randomBytes } from 'node:crypto';
import { ToolApiError } from './tool-api-error.js';

/** One approval of an executed operation, as the action token's `approvers` claim named it. */
export interface TokenApprover {
  sub: string;
  /** Seconds since the epoch. */
  approved_at: number;
}

/** A treasury account as `GET /accounts` lists it. Amounts are in major units (e.g. euros). */
export interface TreasuryAccount {
  id: string;
  name: string;
  balance: number;
  /** ISO 4217 code. */
  currency: string;
}

/** An executed payout. */
export interface PayoutRecord {
  payoutId: string;
  accountId: string;
  recipient: string;
  amount: number;
  currency: string;
  memo?: string | undefined;
  /** The agent that ran it. */
  clientId: string;
  /** `jti` of the action token it consumed. */
  tokenId: string;
  approvers: TokenApprover[];
  /** ISO 8601. */
  executedAt: string;
}

/** A signing key rotation. */
export interface KeyRotationRecord {
  keyId: string;
  /** Generation after the rotation (1 is the original key, so the first rotation yields 2). */
  version: number;
  reason: string;
  clientId: string;
  tokenId: string;
  approvers: TokenApprover[];
  /** ISO 8601. */
  rotatedAt: string;
}

/** Read-only view of the ledger, for tests and the dev stack. */
export interface TreasuryLedgerView {
  /** Accounts with their current balances (copies). */
  accounts(): TreasuryAccount[];
  /** Executed payouts, oldest first (copies). */
  payouts(): PayoutRecord[];
  /** Key rotations, oldest first (copies). */
  rotations(): KeyRotationRecord[];
}

/** The in-memory treasury. */
export interface TreasuryLedger extends TreasuryLedgerView {
  /** Executes a payout, or throws without changing anything. Synchronous, so it cannot interleave. */
  pay(input: Omit<PayoutRecord, 'payoutId' | 'executedAt'>): PayoutRecord;
  /** Rotates a signing key. */
  rotate(input: Omit<KeyRotationRecord, 'version' | 'rotatedAt'>): KeyRotationRecord;
}

/** Accounts a new ledger starts with unless told otherwise. */
export const defaultTreasuryAccounts: readonly TreasuryAccount[] = Object.freeze([
  { id: 'acc_operating', name: 'Operating account', balance: 250_000, currency: 'EUR' },
  { id: 'acc_payroll', name: 'Payroll account', balance: 120_000, currency: 'EUR' },
  { id: 'acc_usd_reserve', name: 'USD reserve', balance: 50_000, currency: 'USD' },
]);

/**
 * Creates the demo treasury: accounts whose balances payouts reduce (kept in minor units, so no
 * floating-point drift), and a record of key rotations.
 *
 * @example
 * ```ts
 * const ledger = createTreasuryLedger();
 * ledger.accounts(); // [{ id: 'acc_operating', balance: 250000, currency: 'EUR', … }, …]
 * ```
 */
export function createTreasuryLedger(initial: readonly TreasuryAccount[] = defaultTreasuryAccounts, clock: () => number = () => Date.now() / 1000): TreasuryLedger {
  const accounts = new Map(initial.map((account) => [account.id, { ...account, minor: toMinor(account.balance) }]));
  const payouts: PayoutRecord[] = [];
  const rotations: KeyRotationRecord[] = [];
  const versions = new Map<string, number>();
  const now = () => new Date(clock() * 1000).toISOString();

  return {
    accounts: () => [...accounts.values()].map(({ id, name, minor, currency }) => ({ id, name, balance: minor / 100, currency })),
    payouts: () => payouts.map((payout) => structuredClone(payout)),
    rotations: () => rotations.map((rotation) => structuredClone(rotation)),
    pay(input) {
      const account = accounts.get(input.accountId);
      if (account === undefined) throw new ToolApiError(404, 'unknown_account', 'no such account');
      if (account.currency !== input.currency) {
        throw new ToolApiError(422, 'currency_mismatch', `the account holds ${account.currency}, not ${input.currency}`);
      }
      const amount = toMinor(input.amount);
      if (amount > account.minor) throw new ToolApiError(409, 'insufficient_funds', 'the account balance is too low for this payout');
      account.minor -= amount;
      const payout: PayoutRecord = { ...structuredClone(input), payoutId: `po_${randomBytes(9).toString('base64url')}`, executedAt: now() };
      payouts.push(payout);
      return structuredClone(payout);
    },
    rotate(input) {
      const version = (versions.get(input.keyId) ?? 1) + 1;
      versions.set(input.keyId, version);
      const rotation: KeyRotationRecord = { ...structuredClone(input), version, rotatedAt: now() };
      rotations.push(rotation);
      return structuredClone(rotation);
    },
  };
}

function toMinor(amount: number): number {
  return Math.round(amount * 100);
}
