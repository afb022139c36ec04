/**
 * Every verb group of the `tfgrid` command, in help order. Each module exports `register(program)`.
 * Add one line per area.
 * @module
 */
import type { Command } from 'commander';

export type RegisterCommands = (program: Command) => void;

export const COMMANDS: RegisterCommands[] = [];
import { registerZos } from './zos';
COMMANDS.push(registerZos);
import { registerNode } from './node';
COMMANDS.push(registerNode);
import { registerRmb } from './rmb';
COMMANDS.push(registerRmb);
import { registerLocal } from './local';
COMMANDS.push(registerLocal);
import { registerContracts } from './contracts';
COMMANDS.push(registerContracts);
import { registerZosDeployment } from './zos-deployment';
COMMANDS.push(registerZosDeployment);
