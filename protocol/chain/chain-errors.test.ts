/** Dispatch errors become ChainErrors naming the call, pallet error, meaning and fix (rmb-tfchain.md §B). @module */
import { ChainError } from '../common/errors';
import { chainDispatchError, isNonceRace } from './chain-errors';

describe('chainDispatchError', () => {
  it.each([
    ['smartContractModule', 'ContractIsNotUnique', 'reuse the existing contract'],
    ['smartContractModule', 'FarmHasNotEnoughPublicIPsFree', 'free an IP'],
    ['smartContractModule', 'NodeNotExists', 'check the node id'],
    ['smartContractModule', 'NameExists', 'choose another name'],
    ['tfgridModule', 'UserDidNotSignTermsAndConditions', 'userAcceptTc'],
    ['tfgridModule', 'InvalidRelayAddress', 'bare host name'],
  ])('%s.%s carries module, error and a fix', (pallet, error, fixPart) => {
    const e = chainDispatchError('create node contract on node 7', { pallet, error, text: `${pallet}.${error}` }, { node: 7 });
    expect(e).toBeInstanceOf(ChainError);
    expect(e.message.startsWith(`create node contract on node 7: ${pallet}.${error} (`)).toBe(true);
    expect(e.context).toMatchObject({ module: pallet, error, node: 7 });
    expect(`${e.message} ${e.context.fix ?? ''}`).toContain(fixPart);
  });

  it('falls back to the metadata docs for errors without a hint', () => {
    const e = chainDispatchError('x', { pallet: 'tfgridModule', error: 'IP4TooLong', docs: 'ip4 is too long', text: '' });
    expect(e.message).toBe('x: tfgridModule.IP4TooLong (ip4 is too long)');
    expect(e.context.fix).toBeUndefined();
  });

  it('keeps non-module errors as their text', () => {
    const e = chainDispatchError('transfer 5 to a', { text: 'BadOrigin' });
    expect(e.message).toBe('transfer 5 to a: dispatch error BadOrigin');
    expect(e.context.error).toBe('BadOrigin');
  });
});

describe('isNonceRace', () => {
  it.each([
    ['1010: Invalid Transaction: Transaction is outdated', true],
    ['1014: Priority is too low: (1 vs 1)', true],
    ['1010: {"invalid":{"stale":null}}', true],
    ['1010: {"invalid":{"payment":null}}', false],
    ['1010: {"invalid":{"badProof":null}}', false],
  ])('%s → %s', (text, race) => {
    expect(isNonceRace(new Error(text))).toBe(race);
  });
});
