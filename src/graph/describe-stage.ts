import { z } from 'zod';
import type { PortSpecs } from './port-spec.js';
import type { StageClass } from './stage.js';

/** One param of a stage as `--describe` prints it. */
export interface ParamDescription {
  /** Dotted for a field of an object param (`noise.std`). */
  readonly key: string;
  /** The accepted values in words: `integer ≥ 2`, `array of 4–5 × integer > 0`, `'bilinear' | 'nearest'`. */
  readonly type: string;
  /** The default as JSON, or undefined when the param is required (or optional without a default). */
  readonly defaultValue?: string;
  readonly required: boolean;
  readonly doc: string;
}

type JsonSchema = Record<string, unknown> & {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema | false;
  prefixItems?: JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  description?: string;
  default?: unknown;
};

/** Every param of a stage (object params' fields after it, dotted), read from its zod schema. */
export function describeParams(stageClass: StageClass): ParamDescription[] {
  const schema = z.toJSONSchema(stageClass.paramsSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return paramsOf(schema, '');
}

function paramsOf(schema: JsonSchema, prefix: string): ParamDescription[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).flatMap(([name, property]) => {
    const key = `${prefix}${name}`;
    const own: ParamDescription = {
      key,
      type: typeOf(property),
      defaultValue: property.default === undefined ? undefined : JSON.stringify(property.default),
      required: required.has(name) && property.default === undefined,
      doc: property.description ?? '',
    };
    const nested = objectPart(property);
    return [own, ...(nested ? paramsOf(nested, `${key}.`) : [])];
  });
}

/** The object schema inside a property (itself, or the object member of `object | undefined`), when it has fields. */
function objectPart(property: JsonSchema): JsonSchema | undefined {
  if (property.properties) return property;
  return [...(property.anyOf ?? []), ...(property.oneOf ?? [])].find((member) => member.properties);
}

/** A JSON schema node in words. */
export function typeOf(schema: JsonSchema): string {
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v).replace(/"/g, "'")).join(' | ');
  if (schema.const !== undefined) return JSON.stringify(schema.const).replace(/"/g, "'");
  const union = schema.anyOf ?? schema.oneOf;
  if (union) return [...new Set(union.map(typeOf))].join(' | ');
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : schema.type;
  switch (type) {
    case 'integer':
    case 'number':
      return `${type}${rangeOf(schema)}`;
    case 'array': {
      if (schema.prefixItems) return `[${schema.prefixItems.map(typeOf).join(', ')}]`;
      const min = schema.minItems as number | undefined;
      const max = schema.maxItems as number | undefined;
      const count = min !== undefined && max !== undefined ? (min === max ? `${min} × ` : `${min}–${max} × `) : min ? `≥ ${min} × ` : max !== undefined ? `≤ ${max} × ` : '';
      return `array of ${count}${schema.items ? typeOf(schema.items) : 'any'}`;
    }
    case 'string':
      return schema.pattern ? `string matching /${schema.pattern as string}/` : 'string';
    case 'object':
      return schema.properties ? 'object' : 'record';
    case undefined:
      return 'any';
    default:
      return type;
  }
}

function rangeOf(schema: JsonSchema): string {
  const bound = (v: unknown) => (typeof v === 'number' && Math.abs(v) < Number.MAX_SAFE_INTEGER ? v : undefined);
  const lower = bound(schema.minimum) ?? bound(schema.exclusiveMinimum);
  const upper = bound(schema.maximum) ?? bound(schema.exclusiveMaximum);
  const lowerOpen = bound(schema.minimum) === undefined && lower !== undefined;
  const upperOpen = bound(schema.maximum) === undefined && upper !== undefined;
  if (lower !== undefined && upper !== undefined) return ` in ${lowerOpen ? '(' : '['}${lower}, ${upper}${upperOpen ? ')' : ']'}`;
  if (lower !== undefined) return ` ${lowerOpen ? '>' : '≥'} ${lower}`;
  if (upper !== undefined) return ` ${upperOpen ? '<' : '≤'} ${upper}`;
  return '';
}

/** What `npm run pipeline -- --describe <Stage>` prints: the stage, its ports and every param with type, default and doc. */
export function describeStage(stageClass: StageClass): string {
  const lines = [`${stageClass.className} (${stageClass.kind}) — ${stageClass.description}`];
  if (stageClass.reference) lines.push(`reference: ${stageClass.reference}`);
  if (stageClass.runsIn) lines.push(`runs in: ${stageClass.runsIn.map((e) => (e === 'node' ? 'Node' : 'the browser')).join(' and ')} only${stageClass.runsInReason ? ` (${stageClass.runsInReason})` : ''}`);
  const ports = (title: string, specs: PortSpecs, note = '') => {
    lines.push('', `${title}:${note}`);
    const entries = Object.entries(specs);
    if (!entries.length) lines.push('  (none)');
    const typeOf = (spec: PortSpecs[string]) => `${spec.type}${spec.list ? ' list' : ''}${spec.optional ? ', optional' : ''}`;
    const nameWidth = Math.max(0, ...entries.map(([name]) => name.length));
    const typeWidth = Math.max(0, ...entries.map(([, spec]) => typeOf(spec).length));
    for (const [name, spec] of entries) lines.push(`  ${name.padEnd(nameWidth)}  ${typeOf(spec).padEnd(typeWidth)}  ${spec.description}`);
  };
  ports('inputs', stageClass.inputs);
  ports('outputs', stageClass.outputs, stageClass.outputsFor ? ' (these and more, depending on params)' : '');
  const params = describeParams(stageClass);
  lines.push('', 'params:');
  if (!params.length) lines.push('  (none)');
  for (const param of params) {
    const value = param.required ? 'required' : param.defaultValue === undefined ? 'optional' : `default ${param.defaultValue}`;
    lines.push(`  ${param.key}: ${param.type}; ${value}`);
    if (param.doc) lines.push(`      ${param.doc}`);
  }
  return `${lines.join('\n')}\n`;
}
