/**
 * What SDK functions that run in the Pulumi program's process (not the provider's plugin process) need from
 * Pulumi: the stack's `tfgrid:*` config, and errors Pulumi shows as our text alone.
 * @module
 */
import * as pulumi from '@pulumi/pulumi';
import { ZodError } from 'zod';
import { TfgridError, errorText } from '../protocol/common/errors';

/**
 * The stack's config by fully qualified key (`tfgrid:network`), as the program sees it: the Pulumi CLI and the
 * Automation API hand it to the program (`PULUMI_CONFIG`), not to the environment. Undefined outside a program.
 */
export function programConfig(key: string): string | undefined {
  const i = key.indexOf(':');
  if (i <= 0) return undefined;
  return new pulumi.Config(key.slice(0, i)).get(key.slice(i + 1));
}

/**
 * A failure of an SDK function as a `pulumi.RunError` with the clean text: what failed, the field and the fix.
 * Pulumi prints a RunError without a stack. When the failing promise is a resource's input, Pulumi's serializer
 * prefixes the *same* error's message with `error serializing property "<name>": ` (runtime/rpc.js); our message
 * ignores that write, so the user reads one line that says what to do instead of a wrapper and a stack.
 */
export function programError(what: string, err: unknown): pulumi.RunError {
  if (pulumi.RunError.isInstance(err)) return err;
  let text = errorText(err);
  if (err instanceof TfgridError) {
    if (err.context.path && !text.includes(err.context.path)) text += ` (field ${err.context.path})`;
    if (err.context.fix) text += `; fix: ${err.context.fix}`;
  } else if (err instanceof ZodError) {
    text = err.issues.map((i) => `${i.path.join('.') || '(filter)'}: ${i.message}`).join('; ');
  }
  const e = new pulumi.RunError(`${what}: ${text}`);
  const message = e.message;
  Object.defineProperty(e, 'message', { get: () => message, set: () => undefined, enumerable: false, configurable: true });
  return e;
}
