import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { stageFamilies } from '../../src/stages/built-in-stages.js';

/** Every property of a JSON schema object, nested objects included, as dotted paths with their descriptions. */
function documentedProperties(schema: Record<string, unknown>, prefix = ''): Array<{ key: string; description?: string }> {
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  return Object.entries(properties).flatMap(([name, property]) => {
    const key = `${prefix}${name}`;
    const nested = property.type === 'object' && property.properties ? documentedProperties(property, `${key}.`) : [];
    return [{ key, description: property.description as string | undefined }, ...nested];
  });
}

describe('stage params', () => {
  for (const [family, stages] of Object.entries(stageFamilies)) {
    describe(`having the ${family} family`, () => {
      it.each(Object.values(stages).map((s) => [s.className, s] as const))('should document every param of %s in its schema', (_, stageClass) => {
        const schema = z.toJSONSchema(stageClass.paramsSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
        const undocumented = documentedProperties(schema).filter((p) => !p.description || p.description.length < 8).map((p) => p.key);
        expect(undocumented).toEqual([]);
      });
    });
  }
});
