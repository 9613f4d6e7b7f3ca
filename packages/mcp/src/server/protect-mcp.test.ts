import { describe, expect, it } from 'vitest';
import { mcpRequirement } from './protect-mcp.js';

const tools = {
  list_accounts: { risk: 'read' as const, scope: 'accounts:read' },
  create_payout: { risk: 'irreversible' as const, approvers: 2 },
};
const call = (name: string, args?: Record<string, unknown>, id = 1) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, ...(args ? { arguments: args } : {}) } });

describe('mcpRequirement', () => {
  it('asks only for the endpoint scope on messages that are not tool calls', () => {
    expect(mcpRequirement({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { scope: 'mcp', tools })).toEqual({ scope: ['mcp'] });
    expect(mcpRequirement({ jsonrpc: '2.0', id: 1, method: 'initialize' }, { tools })).toEqual({});
  });

  it('adds the tool scope for a routine call', () => {
    expect(mcpRequirement(call('list_accounts'), { scope: 'mcp', tools })).toEqual({ scope: ['mcp', 'accounts:read'] });
  });

  it('binds an irreversible call to its tool and exact arguments, with its approvers', () => {
    const args = { amount: 10, recipient: 'ACME' };
    expect(mcpRequirement(call('create_payout', args), { tools })).toEqual({ action: { tool: 'create_payout', args, approvers: 2 } });
    // No arguments are the empty object, so the hash is the same as for `{}`.
    expect(mcpRequirement(call('create_payout'), { tools })).toEqual({ action: { tool: 'create_payout', args: {}, approvers: 2 } });
  });

  it('treats unknown tools as routine and refuses batches containing an irreversible call', () => {
    expect(mcpRequirement(call('other', { a: 1 }), { tools })).toEqual({});
    expect(mcpRequirement([call('list_accounts'), call('create_payout', { amount: 1 }, 2)], { tools })).toBe('batched_action');
    expect(mcpRequirement([call('list_accounts'), call('other', {}, 2)], { tools })).toEqual({ scope: ['accounts:read'] });
  });
});
