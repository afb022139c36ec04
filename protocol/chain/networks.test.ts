/** Named networks and endpoint resolution (rmb-tfchain.md §A11). @module */
import { InputError } from '../common/errors';
import { NETWORKS, relayEndpoints, resolveChainEndpoints } from './networks';

describe('resolveChainEndpoints', () => {
  it.each([
    ['devnet', ['wss://tfchain.dev.grid.tf/ws', 'wss://tfchain.dev.threefold.me/ws']],
    ['qanet', ['wss://tfchain.qa.grid.tf/ws', 'wss://tfchain.qa.threefold.me/ws']],
    ['testnet', ['wss://tfchain.test.grid.tf/ws', 'wss://tfchain.test.threefold.me/ws']],
    ['mainnet', ['wss://tfchain.grid.tf/ws', 'wss://tfchain.grid.threefold.me/ws']],
    ['local', ['ws://127.0.0.1:8000']],
  ])('gives %s its chain endpoints in failover order', (network, urls) => {
    expect(resolveChainEndpoints({ network })).toEqual(urls);
  });

  it('uses local when nothing is named', () => {
    expect(resolveChainEndpoints({})).toEqual(['ws://127.0.0.1:8000']);
  });

  it('lets explicit URLs win over a network name', () => {
    expect(resolveChainEndpoints({ network: 'mainnet', urls: ['ws://127.0.0.1:9944'] })).toEqual(['ws://127.0.0.1:9944']);
  });

  it('names the unknown network and lists the known ones', () => {
    const err = (() => {
      try {
        resolveChainEndpoints({ network: 'prodnet' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toBe('unknown network "prodnet"');
    expect((err as InputError).context.fix).toContain('devnet, qanet, testnet, mainnet');
  });

  it('refuses a URL that is not ws:// or wss://, naming its index', () => {
    expect(() => resolveChainEndpoints({ urls: ['ws://ok:1', 'https://tfchain.grid.tf'] })).toThrow('chain url "https://tfchain.grid.tf" is not a websocket URL');
  });

  it('knows the relays of each public network (relay.<net>.grid.tf, main: relay.grid.tf)', () => {
    expect(relayEndpoints('mainnet')).toEqual(['wss://relay.grid.tf', 'wss://relay.grid.threefold.me']);
    expect(relayEndpoints('devnet')[0]).toBe('wss://relay.dev.grid.tf');
    expect(Object.keys(NETWORKS).sort()).toEqual(['devnet', 'local', 'mainnet', 'qanet', 'testnet']);
  });
});
