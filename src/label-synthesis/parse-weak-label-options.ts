import type { z } from 'zod';
import { MicflowError } from '../errors/micflow-error.js';

/**
 * Parses the options of a weak-label generator against its strict zod schema. Every problem becomes one line of a
 * single MicflowError('invalid-argument') that names the generator and the option key (nested keys dotted, e.g.
 * `erosion.radius.max`), so "fraction: 1.5" or a misspelt key is reported as such instead of being ignored.
 */
export function parseWeakLabelOptions<Schema extends z.ZodType>(schema: Schema, options: unknown, generator: string): z.output<Schema> {
  const parsed = schema.safeParse(options ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const at = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => `unknown option "${at ? `${at}.${key}` : key}"`).join('; ');
    }
    return `option "${at || '(options)'}": ${issue.message}`;
  });
  throw new MicflowError('invalid-argument', `${generator}: ${problems.join('; ')}`);
}
