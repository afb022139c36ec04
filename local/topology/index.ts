/** The local grid's network topology: internet namespace, node hosts, farm IP pools, laptops. @module */
export * from './topology';
export { runCommand, CommandError, type CommandRunner } from './command';
