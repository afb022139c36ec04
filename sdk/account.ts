/**
 * The `account` argument every grid resource takes (provider/account.ts): the twin (its mnemonic) and the network
 * a resource deploys with instead of the stack config. The SDK passes it as a secret, so the mnemonic is
 * encrypted in the state and never shown by the engine, whether or not the program made it one.
 * @module
 */
import * as pulumi from '@pulumi/pulumi';

/** A twin on a network. */
export interface AccountArgs {
  /** The twin's BIP39 mnemonic (12 or 24 words) or `0x` + 64 hex seed; e.g. `cfg.requireSecret("mnemonic2")`. */
  mnemonic: pulumi.Input<string>;
  /** `local`, `dev`, `qa`, `test` or `main` (`devnet` … too). Default: `tfgrid:network`. */
  network?: pulumi.Input<'local' | 'dev' | 'qa' | 'test' | 'main' | 'devnet' | 'qanet' | 'testnet' | 'mainnet'>;
  /** `sr25519` or `ed25519`. Default: `tfgrid:keyType`. */
  keyType?: pulumi.Input<'sr25519' | 'ed25519'>;
}

/** The provider input for `account`: secret whole, absent when not given (the stack config's account). */
export function accountInput(account: pulumi.Input<AccountArgs> | undefined): pulumi.Input<AccountArgs> | undefined {
  return account === undefined ? undefined : pulumi.secret(account);
}
