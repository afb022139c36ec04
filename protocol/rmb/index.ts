/**
 * RMB, the relay message bus (rmb-tfchain.md §A): envelope codec and signatures, relay login JWT, e2e
 * encryption, twin directories, the peer client (`createRmbPeer`), the relay server (`createRelay`) and the
 * typed node-API client (`createNodeClient`).
 * @module
 */
export * from './envelope';
export * from './jwt';
export * from './e2e';
export * from './twin-directory';
export * from './peer';
export * from './relay';
export * from './node-client';
